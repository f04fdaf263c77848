import { useId } from 'react';
import Box from '@material-ui/core/Box';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import { useStorageT } from '../translation';
import { SIZE_UNITS, SizeUnit } from './types';

/** A size as a whole number and a binary unit (`5` `Gi`). */
export function SizeField(props: {
  label: string;
  amount: string;
  unit: SizeUnit;
  onChange(amount: string, unit: SizeUnit): void;
  helperText?: string;
  error?: boolean;
}) {
  const t = useStorageT();
  const amountId = useId();
  const unitId = useId();
  return (
    <Box display="flex" style={{ gap: 8 }}>
      <TextField
        id={amountId}
        label={props.label}
        value={props.amount}
        onChange={e => props.onChange(e.target.value, props.unit)}
        inputProps={{ inputMode: 'numeric' }}
        helperText={props.helperText}
        error={props.error}
        style={{ flex: 1 }}
      />
      <TextField
        select
        id={unitId}
        label={t('create.unit')}
        value={props.unit}
        onChange={e => props.onChange(props.amount, e.target.value as SizeUnit)}
        style={{ width: 96 }}
      >
        {SIZE_UNITS.map(unit => (
          <MenuItem key={unit} value={unit}>
            {unit}
          </MenuItem>
        ))}
      </TextField>
    </Box>
  );
}
