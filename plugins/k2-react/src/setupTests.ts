import '@testing-library/jest-dom';
import { failOnReactWarnings } from './testing/reactWarnings';

failOnReactWarnings();
