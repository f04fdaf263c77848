import { useState } from 'react';
import {
  formatBytes,
  K2Autoscaling,
  K2ReplicaRecommendation,
} from '@internal/plugin-k2-common';
import useAsync from 'react-use/esm/useAsync';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import Grid from '@material-ui/core/Grid';
import Switch from '@material-ui/core/Switch';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { ActionDialog } from '@internal/plugin-k2-react';

/** Scale to a fixed count, or hand the count to the native HPA within bounds. */
export function ScaleDialog(props: {
  environment: string;
  /** Loads the replica count today's load needs. */
  recommend(): Promise<K2ReplicaRecommendation>;
  replicas: number;
  autoscaling?: K2Autoscaling;
  onClose(): void;
  onScale(replicas: number): Promise<void>;
  onAutoscale(autoscaling: K2Autoscaling | null): Promise<void>;
}) {
  const a = props.autoscaling;
  const [auto, setAuto] = useState(Boolean(a));
  const [replicas, setReplicas] = useState(String(props.replicas));
  const [min, setMin] = useState(String(a?.minReplicas ?? props.replicas));
  const [max, setMax] = useState(String(a?.maxReplicas ?? props.replicas * 2));
  const [cpu, setCpu] = useState(String(a?.cpuUtilization ?? 70));
  const [memory, setMemory] = useState(
    a?.memoryUtilization ? String(a.memoryUtilization) : '',
  );
  const advice = useAsync(props.recommend, []);

  const submit = async () => {
    if (!auto) {
      if (a) await props.onAutoscale(null);
      else await props.onScale(Number(replicas));
    } else {
      await props.onAutoscale({
        minReplicas: Number(min),
        maxReplicas: Number(max),
        cpuUtilization: cpu.trim() ? Number(cpu) : undefined,
        memoryUtilization: memory.trim() ? Number(memory) : undefined,
      });
    }
  };

  return (
    <ActionDialog
      title={`Scale ${props.environment}`}
      confirm="Apply"
      busyLabel="Applying…"
      maxWidth="sm"
      onClose={props.onClose}
      onConfirm={submit}
    >
      <FormControlLabel
        control={
          <Switch checked={auto} onChange={e => setAuto(e.target.checked)} />
        }
        label="Autoscale (Kubernetes HPA)"
      />
      {!auto && a && (
        <Typography variant="body2" color="textSecondary">
          Turning autoscaling off keeps today's count until you scale again.
        </Typography>
      )}
      {!auto && !a && (
        <TextField
          id="k2-scale-replicas"
          label="Replicas"
          type="number"
          fullWidth
          value={replicas}
          onChange={e => setReplicas(e.target.value)}
          helperText="Across all clusters, split by their weights; 0 stops the service"
        />
      )}
      {auto && (
        <Grid container spacing={2}>
          <Grid item xs={6}>
            <TextField
              id="k2-scale-minimum-replicas"
              label="Minimum replicas"
              type="number"
              fullWidth
              value={min}
              onChange={e => setMin(e.target.value)}
            />
          </Grid>
          <Grid item xs={6}>
            <TextField
              id="k2-scale-maximum-replicas"
              label="Maximum replicas"
              type="number"
              fullWidth
              value={max}
              onChange={e => setMax(e.target.value)}
            />
          </Grid>
          <Grid item xs={6}>
            <TextField
              id="k2-scale-target-cpu"
              label="Target CPU %"
              type="number"
              fullWidth
              value={cpu}
              onChange={e => setCpu(e.target.value)}
              helperText="Of requests; empty for none"
            />
          </Grid>
          <Grid item xs={6}>
            <TextField
              id="k2-scale-target-memory"
              label="Target memory %"
              type="number"
              fullWidth
              value={memory}
              onChange={e => setMemory(e.target.value)}
              helperText="Of requests; empty for none"
            />
          </Grid>
        </Grid>
      )}
      <Typography
        variant="body2"
        color="textSecondary"
        style={{ marginTop: 16 }}
        aria-label="Recommendation"
      >
        {advice.loading && 'Reading current usage…'}
        {advice.error &&
          `No recommendation: ${advice.error.message} (usage comes from the clusters' metrics API)`}
        {advice.value &&
          `Recommended: ${advice.value.replicas} replica${
            advice.value.replicas === 1 ? '' : 's'
          } — ${advice.value.pods} pod${
            advice.value.pods === 1 ? '' : 's'
          } use ${advice.value.cpuUsage}m CPU and ${formatBytes(
            advice.value.memoryUsage,
          )} in total; at ${advice.value.cpuTarget}% of ${
            advice.value.cpuRequest
          }m CPU and ${advice.value.memoryTarget}% of ${formatBytes(
            advice.value.memoryRequest,
          )} requested per pod.`}
      </Typography>
    </ActionDialog>
  );
}
