import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormHelperText from '@material-ui/core/FormHelperText';
import IconButton from '@material-ui/core/IconButton';
import Typography from '@material-ui/core/Typography';
import DeleteIcon from '@material-ui/icons/Delete';
import { useTrafficT } from '../translation';
import { Field } from './SiteForm';

/** The part of a JSON Schema the form reads. */
interface FieldSchema {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, FieldSchema>;
  items?: FieldSchema;
}

type Values = Record<string, unknown>;

function show(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'object'
    ? JSON.stringify(value)
    : String(value as string);
}

/**
 * The fields a template exposes, drawn from its JSON Schema (`GET /templates`): text,
 * numbers, switches, and lists of objects (e.g. response headers) as rows. Titles and
 * descriptions are the template author's. A field left empty is not sent, so the
 * template's default applies; that default is the field's placeholder. A refusal of
 * `site.fields.<name>[…]` shows on its field.
 */
export function TemplateFields(props: {
  schema: Record<string, unknown>;
  values: Values;
  errors: Record<string, string>;
  onChange(values: Values): void;
}) {
  const t = useTrafficT();
  const properties = (props.schema as FieldSchema).properties ?? {};
  const { values, errors } = props;
  const set = (name: string, value: unknown) => {
    const next = { ...values };
    if (value === undefined || value === '') delete next[name];
    else next[name] = value;
    props.onChange(next);
  };
  return (
    <>
      {Object.entries(properties).map(([name, field]) => {
        const label = field.title ?? name;
        const at = `fields.${name}`;
        const value = values[name];
        const defaultText = show(field.default);
        if (field.type === 'boolean') {
          return (
            <Box key={name} mb={1}>
              <FormControlLabel
                control={
                  <Checkbox
                    checked={
                      (value as boolean | undefined) ??
                      (field.default as boolean | undefined) ??
                      false
                    }
                    onChange={e => set(name, e.target.checked)}
                  />
                }
                label={label}
              />
              <FormHelperText error={Boolean(errors[at])}>
                {errors[at] ?? field.description}
              </FormHelperText>
            </Box>
          );
        }
        if (field.type === 'array' && field.items?.type === 'object') {
          const rows = (Array.isArray(value) ? value : []) as Values[];
          const columns = Object.entries(field.items.properties ?? {});
          const setRow = (i: number, column: string, text: string) =>
            set(
              name,
              rows.map((row, k) =>
                k === i ? { ...row, [column]: text } : row,
              ),
            );
          return (
            <Box key={name} mb={2} role="group" aria-label={label}>
              <Typography variant="subtitle2" component="h4">
                {label}
              </Typography>
              {field.description && (
                <Typography variant="body2" color="textSecondary">
                  {field.description}
                </Typography>
              )}
              {errors[at] && (
                <FormHelperText error>{errors[at]}</FormHelperText>
              )}
              {rows.map((row, i) => (
                <Box
                  key={i}
                  display="flex"
                  alignItems="flex-start"
                  mt={1}
                  style={{ gap: 16 }}
                >
                  {columns.map(([column, columnSchema]) => (
                    <Field
                      key={column}
                      label={`${columnSchema.title ?? column} ${i + 1}`}
                      value={show(row[column])}
                      width={column === 'value' ? 320 : 200}
                      error={errors[`${at}[${i}].${column}`]}
                      onChange={text => setRow(i, column, text)}
                    />
                  ))}
                  <IconButton
                    size="small"
                    aria-label={t('editor.removeItem', {
                      item: `${label} ${i + 1}`,
                    })}
                    onClick={() =>
                      set(
                        name,
                        rows.filter((_, k) => k !== i),
                      )
                    }
                  >
                    <DeleteIcon fontSize="small" />
                  </IconButton>
                </Box>
              ))}
              <Button
                size="small"
                onClick={() =>
                  set(name, [
                    ...rows,
                    Object.fromEntries(columns.map(([column]) => [column, ''])),
                  ])
                }
              >
                {t('editor.addItem')}
              </Button>
            </Box>
          );
        }
        const numeric = field.type === 'integer' || field.type === 'number';
        return (
          <Box key={name} mb={1}>
            <Field
              label={label}
              type={numeric ? 'number' : 'text'}
              value={show(value)}
              width={320}
              placeholder={defaultText}
              error={errors[at]}
              helperText={
                [
                  field.description,
                  defaultText &&
                    t('editor.defaultValue', { value: defaultText }),
                ]
                  .filter(Boolean)
                  .join(' ') || undefined
              }
              onChange={text =>
                set(name, numeric && text.trim() !== '' ? Number(text) : text)
              }
            />
          </Box>
        );
      })}
    </>
  );
}
