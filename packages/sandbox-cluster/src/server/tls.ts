import selfsigned from 'selfsigned';

let cached: { key: string; cert: string } | undefined;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made once per process. Clients
 * that send bearer tokens only over TLS (kubectl, client-go) trust it through the
 * kubeconfig's certificate-authority-data.
 */
export function sandboxCertificate() {
  if (!cached) {
    const pems = selfsigned.generate(
      [{ name: 'commonName', value: 'k2-sandbox' }],
      {
        days: 30,
        keySize: 2048,
        algorithm: 'sha256',
        extensions: [
          { name: 'basicConstraints', cA: true },
          {
            name: 'keyUsage',
            keyCertSign: true,
            digitalSignature: true,
            keyEncipherment: true,
          },
          { name: 'extKeyUsage', serverAuth: true },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 2, value: 'localhost' },
              { type: 7, ip: '127.0.0.1' },
            ],
          },
        ],
      },
    );
    cached = { key: pems.private, cert: pems.cert };
  }
  return cached;
}
