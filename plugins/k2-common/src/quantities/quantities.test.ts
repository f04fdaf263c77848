import {
  formatBytes,
  formatCpu,
  formatMemory,
  parseCpuMillicores,
  parseMemoryBytes,
  parseQuantity,
} from './quantities';

describe('parseCpuMillicores', () => {
  it.each([
    ['2', 2000],
    ['0.5', 500],
    ['.5', 500],
    ['1.', 1000],
    ['250m', 250],
    ['1.1', 1100],
    ['0.3', 300],
    ['1500m', 1500],
    ['+2', 2000],
    ['600000000n', 600],
    ['150000u', 150],
    ['2e3', 2_000_000],
    ['5E-1', 500],
    ['1k', 1_000_000],
    ['0', 0],
    ['-0', 0],
    ['000250m', 250],
  ])('reads %s as %i millicores', (text, millicores) => {
    expect(parseCpuMillicores(text)).toBe(millicores);
  });

  it('rounds finer values up to whole millicores, as Kubernetes does', () => {
    expect(parseCpuMillicores('0.1m')).toBe(1);
    expect(parseCpuMillicores('1001n')).toBe(1);
    expect(parseCpuMillicores('0.0005')).toBe(1);
    expect(parseCpuMillicores('1000001n')).toBe(2);
  });

  it.each([
    '',
    ' ',
    '1 ',
    ' 1',
    'abc',
    'm',
    '1.2.3',
    '--1',
    '-1',
    '-250m',
    '1 m',
    '1mm',
    '1x',
    '0x10',
    '1e',
    'e3',
    '1,5',
    'Infinity',
    'NaN',
    '1Gb',
  ])('rejects %j', text => {
    expect(parseCpuMillicores(text)).toBeUndefined();
  });
});

describe('parseMemoryBytes', () => {
  it.each([
    ['512Mi', 512 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['1Ki', 1024],
    ['2Ti', 2 * 2 ** 40],
    ['1Pi', 2 ** 50],
    ['1G', 1e9],
    ['129M', 129e6],
    ['128974848', 128974848],
    ['129e6', 129e6],
    ['123k', 123000],
    ['1.5k', 1500],
    ['0', 0],
  ])('reads %s as %i bytes', (text, bytes) => {
    expect(parseMemoryBytes(text)).toBe(bytes);
  });

  it('rounds fractions of a byte up', () => {
    expect(parseMemoryBytes('1m')).toBe(1);
    expect(parseMemoryBytes('0.5')).toBe(1);
    expect(parseMemoryBytes('1.0000001Ki')).toBe(1025);
  });

  it.each(['', 'Gi', '1 Gi', '1gi', '1GB', '1Xi', '-1Gi', '1Gi1', '0x1p4'])(
    'rejects %j',
    text => {
      expect(parseMemoryBytes(text)).toBeUndefined();
    },
  );

  it('rejects values too large to hold exactly rather than return Infinity', () => {
    const huge = '9'.repeat(300);
    expect(parseMemoryBytes(huge)).toBeUndefined();
    expect(parseMemoryBytes(`${huge}Gi`)).toBeUndefined();
    expect(parseMemoryBytes('1e400')).toBeUndefined();
    expect(parseMemoryBytes('1e999999999999')).toBeUndefined();
    expect(parseMemoryBytes('1Ei')).toBeUndefined(); // above 2^53, not exact
    expect(parseMemoryBytes('7Pi')).toBe(7 * 2 ** 50);
    expect(parseMemoryBytes('8Pi')).toBeUndefined(); // 2^53
    expect(parseMemoryBytes('1'.padEnd(101, '0'))).toBeUndefined();
  });

  it('rejects values too small to be a resource', () => {
    expect(parseMemoryBytes('1e-31')).toBeUndefined();
    expect(parseMemoryBytes(`0.${'0'.repeat(40)}1`)).toBeUndefined();
    expect(parseMemoryBytes('0e-999')).toBe(0);
  });
});

describe('parseQuantity', () => {
  it('reads any quantity in base units, signed', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('-1.5')).toBe(-1.5);
    expect(parseQuantity('1Mi')).toBe(2 ** 20);
    expect(parseQuantity('110')).toBe(110);
    expect(parseQuantity('2.5e-3')).toBe(0.0025);
    expect(parseQuantity('600000000n')).toBeCloseTo(0.6, 12);
  });

  it('holds to the Kubernetes bound of 2^63 - 1', () => {
    expect(parseQuantity('9223372036854775807')).toBe(2 ** 63);
    expect(parseQuantity('9223372036854775808')).toBeUndefined();
    expect(parseQuantity('7Ei')).toBe(7 * 2 ** 60);
    expect(parseQuantity('8Ei')).toBeUndefined();
    expect(parseQuantity('9'.repeat(300))).toBeUndefined();
  });
});

describe('formatting', () => {
  it('writes CPU in the shortest exact notation', () => {
    expect(formatCpu(1000)).toBe('1');
    expect(formatCpu(2000)).toBe('2');
    expect(formatCpu(1500)).toBe('1500m');
    expect(formatCpu(250)).toBe('250m');
    expect(formatCpu(0.4)).toBe('1m');
  });

  it('writes memory in whole Mi, or Gi when whole', () => {
    expect(formatMemory(2 ** 30)).toBe('1Gi');
    expect(formatMemory(512 * 2 ** 20)).toBe('512Mi');
    expect(formatMemory(1.5 * 2 ** 30)).toBe('1536Mi');
    expect(formatMemory(1e9)).toBe('953Mi');
  });

  it('round-trips through the parser', () => {
    for (const text of ['1', '250m', '1500m', '4']) {
      expect(formatCpu(parseCpuMillicores(text)!)).toBe(text);
    }
    for (const text of ['1Gi', '512Mi', '1536Mi', '64Mi']) {
      expect(formatMemory(parseMemoryBytes(text)!)).toBe(text);
    }
  });

  it('writes bytes for people in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(300 * 2 ** 20)).toBe('300 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
    expect(formatBytes(2 ** 30)).toBe('1 GiB');
    expect(formatBytes(2.25 * 2 ** 20)).toBe('2.3 MiB');
    expect(formatBytes(0)).toBe('0 B');
  });
});
