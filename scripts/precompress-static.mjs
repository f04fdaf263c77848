// Writes brotli (.br, quality 11) and gzip (.gz, level 9) copies of every text file of
// the app's production build that a browser loads (JavaScript, CSS, SVG, JSON), so the
// backend sends them as they are instead of compressing each response again
// (packages/backend/src/app/precompressedAssets.ts). Run by `yarn workspace app build`
// after the bundler.
//
//   node scripts/precompress-static.mjs DIST
//
// DIST/static/<path> gets DIST/static-compressed/<path>.br and .gz. The copies live
// outside static/ because the app backend stores everything under static/ in its
// database (to serve the files of earlier builds to pages still open).
// Invariants: a copy is written only when it is smaller than its original; source maps
// are left alone (only developer tools ask for them, and the backend still compresses
// them on the fly); a copy is written after its original, so a later change to the
// original (the app backend may inject its config into a script at start) leaves the
// copy older and the backend ignores it.
import { promisify } from 'node:util';
import { constants, brotliCompress, gzip } from 'node:zlib';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, join, relative } from 'node:path';

const TEXT = /\.(js|css|svg|json)$/;
/** Below this size the backend does not compress either (compression's threshold). */
const MIN_BYTES = 1024;
const compressors = {
  br: data =>
    promisify(brotliCompress)(data, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
      },
    }),
  gz: data => promisify(gzip)(data, { level: constants.Z_BEST_COMPRESSION }),
};

const dist = process.argv[2];
if (!dist) {
  console.error('usage: node scripts/precompress-static.mjs DIST');
  process.exit(2);
}
const dir = join(dist, 'static');
const out = join(dist, 'static-compressed');
await rm(out, { recursive: true, force: true });

const started = Date.now();
const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
  .filter(entry => entry.isFile() && TEXT.test(entry.name))
  .map(entry => join(entry.parentPath, entry.name));

const totals = { files: 0, original: 0, br: 0, gz: 0 };
async function precompress(file) {
  const data = await readFile(file);
  if (data.length < MIN_BYTES) return;
  totals.files += 1;
  totals.original += data.length;
  for (const [extension, compress] of Object.entries(compressors)) {
    const compressed = await compress(data);
    const kept = compressed.length < data.length;
    if (kept) {
      const target = join(out, `${relative(dir, file)}.${extension}`);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, compressed);
    }
    totals[extension] += kept ? compressed.length : data.length;
  }
}

// zlib works on libuv's thread pool: one file per core keeps every core busy.
const queue = [...files];
await Promise.all(
  Array.from({ length: availableParallelism() }, async () => {
    for (let file = queue.shift(); file; file = queue.shift()) {
      await precompress(file);
    }
  }),
);

const mib = bytes => (bytes / 1024 / 1024).toFixed(1);
console.log(
  `precompressed ${totals.files} files in ${dir} in ${(
    (Date.now() - started) /
    1000
  ).toFixed(0)} s: ${mib(totals.original)} MiB, brotli ${mib(
    totals.br,
  )} MiB, gzip ${mib(totals.gz)} MiB`,
);
