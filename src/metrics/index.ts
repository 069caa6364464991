/**
 * Metrics for Prometheus: the series (catalog, pure), the exporter that folds the agent's
 * events into them, and the `/metrics` listener.
 */
export { METRICS, METRIC_PREFIX, OTHER_LABEL, createLabelCap, selectPerTorrent, stateLabel, trackerHostOf } from './catalog.js';
export { createMetricsExporter, DEFAULT_MAX_TRACKER_HOSTS, type MetricsExporter, type MetricsExporterOptions } from './exporter.js';
export { startMetricsServer, type MetricsServer, type MetricsServerOptions } from './server.js';
