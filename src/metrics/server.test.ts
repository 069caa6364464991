import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsExporter } from './exporter.js';
import { startMetricsServer, type MetricsServer } from './server.js';

const TOKEN = 'metrics-t0ken-value';
let server: MetricsServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function aServer(authorization: string | null): Promise<MetricsServer> {
  const exporter = createMetricsExporter({ version: '1.2.3', nodeId: 'n', perTorrent: () => ({ enabled: false, max: 1 }) });
  server = await startMetricsServer({ exporter, address: '127.0.0.1', port: 0, authorization });
  return server;
}

describe('the /metrics listener', () => {
  it('serves the exposition text, process metrics included, on loopback', async () => {
    const s = await aServer(null);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(s.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('smartnode_build_info{version="1.2.3",node_id="n"} 1');
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect((await fetch(s.url.replace('/metrics', '/'))).status).toBe(404);
  });

  it('refuses a scrape without the token, or with a wrong one, and never echoes it', async () => {
    const s = await aServer(`Bearer ${TOKEN}`);
    const attempts: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: `Basic ${TOKEN}` }];
    for (const headers of attempts) {
      const response = await fetch(s.url, { headers });
      expect(response.status).toBe(401);
      const body = await response.text();
      expect(body).not.toContain(TOKEN);
      expect(body).not.toContain('smartnode_');
      expect(JSON.stringify([...response.headers])).not.toContain(TOKEN);
    }
    const ok = await fetch(s.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('smartnode_build_info');
  });

  it('says which port it cannot bind and what to do', async () => {
    const first = await aServer(null);
    const port = Number(new URL(first.url).port);
    const exporter = createMetricsExporter({
      version: '1',
      nodeId: 'n',
      perTorrent: () => ({ enabled: false, max: 1 }),
      processMetrics: false,
    });
    await expect(startMetricsServer({ exporter, address: '127.0.0.1', port, authorization: null })).rejects.toMatchObject({
      code: 'METRICS_LISTEN',
      message: `metrics listener cannot bind 127.0.0.1:${port}: EADDRINUSE`,
      hint: expect.stringContaining('metrics.port'),
    });
  });
});
