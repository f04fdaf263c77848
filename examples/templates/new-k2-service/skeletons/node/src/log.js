'use strict';

// One JSON object per line on stdout, and in K2's log directory when it is there
// (a release mounts /log-dir; the image creates it, so this also runs without K2).
const fs = require('fs');
const path = require('path');

const LOG_DIR = process.env.LOG_DIR || '/log-dir';
const SERVICE = '${{ values.name }}';

let file;
try {
  fs.accessSync(LOG_DIR, fs.constants.W_OK);
  file = fs.createWriteStream(path.join(LOG_DIR, `${SERVICE}.log`), {
    flags: 'a',
  });
} catch {
  file = undefined;
}

function log(level, message, fields = {}) {
  const line = `${JSON.stringify({
    time: new Date().toISOString(),
    level,
    service: SERVICE,
    message,
    ...fields,
  })}\n`;
  process.stdout.write(line);
  if (file) file.write(line);
}

/** Calls back once every line is written to the log file. */
function flush(callback) {
  if (file) file.end(callback);
  else callback();
}

module.exports = {
  info: (message, fields) => log('info', message, fields),
  error: (message, fields) => log('error', message, fields),
  flush,
};
