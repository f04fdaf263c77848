import { execFileSync } from 'node:child_process';
import {
  InstanceContext,
  renderInstance,
  resolveParameters,
  TemplateRegistry,
} from '.';

/*
 * The shell the templates run (start scripts in ConfigMaps, `sh -c` / `bash -c`
 * commands, probes, dump Jobs), parsed by the real shells: `sh -n` (dash, as POSIX as
 * the images' /bin/sh) and `bash -n` for the scripts that ask for bash.
 */

const ctx: InstanceContext = {
  id: '6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b',
  name: 'orders-cache',
  namespace: 'payments',
  environment: 'test',
  service: 'component:default/payment-gateway',
  owner: 'group:default/payments-team',
};

interface Script {
  where: string;
  shell: 'sh' | 'bash';
  text: string;
}

/** Every shell script in an object: `[sh|bash, -c, text]` commands and `*.sh` ConfigMap keys. */
function scriptsIn(node: unknown, where: string, out: Script[]): Script[] {
  if (Array.isArray(node)) {
    if (
      node.length >= 3 &&
      (node[0] === 'sh' || node[0] === 'bash') &&
      node[1] === '-c' &&
      typeof node[2] === 'string'
    ) {
      out.push({ where, shell: node[0], text: node[2] });
    }
    node.forEach((item, i) => scriptsIn(item, `${where}[${i}]`, out));
  } else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key.endsWith('.sh') && typeof value === 'string') {
        const shell = value.startsWith('#!/bin/bash') ? 'bash' : 'sh';
        out.push({ where: `${where}.${key}`, shell, text: value });
      } else {
        scriptsIn(value, `${where}.${key}`, out);
      }
    }
  }
  return out;
}

function syntaxError(script: Script): string | undefined {
  try {
    execFileSync(script.shell === 'bash' ? 'bash' : 'dash', ['-n'], {
      input: script.text,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return undefined;
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

describe('template shell scripts', () => {
  it('parse in the shell each one asks for', async () => {
    const registry = await TemplateRegistry.builtIn();
    const scripts: Script[] = [];
    for (const template of registry.list()) {
      const input = template.name.startsWith('redis-')
        ? { mode: 'sentinel', replicas: 3 }
        : {};
      const rendered = renderInstance(
        template,
        ctx,
        resolveParameters(template, input),
      );
      scriptsIn(rendered.objects, template.name, scripts);
      if (rendered.dumpJob) {
        const job = rendered.dumpJob({
          jobName: 'orders-cache-dump',
          claimName: 'orders-cache-backup',
        });
        scriptsIn(job, `${template.name} dumpJob`, scripts);
      }
    }
    // Start scripts of all six products, probes and both dump Jobs.
    expect(scripts.length).toBeGreaterThanOrEqual(15);
    const errors = scripts
      .map(s => ({ where: s.where, error: syntaxError(s) }))
      .filter(s => s.error !== undefined);
    expect(errors).toEqual([]);
  });
});
