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
import { useDeployT } from '../translation';

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
  const t = useDeployT();
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
      title={t('scale.title', { environment: props.environment })}
      confirm={t('scale.apply')}
      busyLabel={t('scale.busy')}
      maxWidth="sm"
      onClose={props.onClose}
      onConfirm={submit}
    >
      <FormControlLabel
        control={
          <Switch checked={auto} onChange={e => setAuto(e.target.checked)} />
        }
        label={t('scale.autoscale')}
      />
      {!auto && a && (
        <Typography variant="body2" color="textSecondary">
          {t('scale.autoscaleOff')}
        </Typography>
      )}
      {!auto && !a && (
        <TextField
          id="k2-scale-replicas"
          label={t('releaseDialog.replicas')}
          type="number"
          fullWidth
          value={replicas}
          onChange={e => setReplicas(e.target.value)}
          helperText={t('scale.replicasHint')}
        />
      )}
      {auto && (
        <Grid container spacing={2}>
          <Grid item xs={6}>
            <TextField
              id="k2-scale-minimum-replicas"
              label={t('scale.min')}
              type="number"
              fullWidth
              value={min}
              onChange={e => setMin(e.target.value)}
            />
          </Grid>
          <Grid item xs={6}>
            <TextField
              id="k2-scale-maximum-replicas"
              label={t('scale.max')}
              type="number"
              fullWidth
              value={max}
              onChange={e => setMax(e.target.value)}
            />
          </Grid>
          <Grid item xs={6}>
            <TextField
              id="k2-scale-target-cpu"
              label={t('scale.cpu')}
              type="number"
              fullWidth
              value={cpu}
              onChange={e => setCpu(e.target.value)}
              helperText={t('scale.targetHint')}
            />
          </Grid>
          <Grid item xs={6}>
            <TextField
              id="k2-scale-target-memory"
              label={t('scale.memory')}
              type="number"
              fullWidth
              value={memory}
              onChange={e => setMemory(e.target.value)}
              helperText={t('scale.targetHint')}
            />
          </Grid>
        </Grid>
      )}
      <Typography
        variant="body2"
        color="textSecondary"
        style={{ marginTop: 16 }}
        aria-label={t('scale.recommendation')}
      >
        {advice.loading && t('scale.reading')}
        {advice.error &&
          t('scale.noRecommendation', { error: advice.error.message })}
        {advice.value &&
          t('scale.recommended', { count: advice.value.replicas })}
        {advice.value &&
          t('scale.usage', {
            count: advice.value.pods,
            cpu: String(advice.value.cpuUsage),
            memory: formatBytes(advice.value.memoryUsage),
            cpuTarget: String(advice.value.cpuTarget),
            cpuRequest: String(advice.value.cpuRequest),
            memoryTarget: String(advice.value.memoryTarget),
            memoryRequest: formatBytes(advice.value.memoryRequest),
          })}
      </Typography>
    </ActionDialog>
  );
}
