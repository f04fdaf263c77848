import '@testing-library/jest-dom';
import { failOnReactWarnings } from '@internal/plugin-k2-react/testUtils';

failOnReactWarnings();
