package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

// MaintProgress is what the background scheduler (package maint) reports:
// totals since the gateway started, read at every scrape.
type MaintProgress struct {
	// HealQueued is the number of records waiting in sys/heal.
	HealQueued int64
	// Healed counts objects checked by heal, ShardsRepaired the shards
	// rebuilt, Unrecoverable the objects below k shards, HealBytes the
	// bytes rewritten.
	Healed, ShardsRepaired, Unrecoverable, HealBytes int64
	// ScrubObjects and ScrubBytes count what the scrubber verified;
	// ScrubPasses the full passes finished; ScrubPassFraction is how far
	// the current pass is (0..1).
	ScrubObjects, ScrubBytes, ScrubPasses int64
	ScrubPassFraction                     float64
	// GCRecords and GCBytes count garbage collected.
	GCRecords, GCBytes int64
}

// maintDesc describes one MaintProgress field.
type maintDesc struct {
	desc    *prometheus.Desc
	kind    prometheus.ValueType
	extract func(p *MaintProgress) float64
}

// maintCollector reads a MaintProgress once per scrape.
type maintCollector struct {
	progress func() MaintProgress
	descs    []maintDesc
}

func newMaintCollector(progress func() MaintProgress) *maintCollector {
	d := func(name, help string, kind prometheus.ValueType, f func(p *MaintProgress) float64) maintDesc {
		return maintDesc{prometheus.NewDesc(prometheus.BuildFQName(namespace, "maint", name), help, nil, nil), kind, f}
	}
	c, g := prometheus.CounterValue, prometheus.GaugeValue
	return &maintCollector{progress: progress, descs: []maintDesc{
		d("heal_queued", "Heal records waiting.", g, func(p *MaintProgress) float64 { return float64(p.HealQueued) }),
		d("healed_objects_total", "Objects checked by heal.", c, func(p *MaintProgress) float64 { return float64(p.Healed) }),
		d("repaired_shards_total", "Shards rebuilt by heal.", c, func(p *MaintProgress) float64 { return float64(p.ShardsRepaired) }),
		d("unrecoverable_objects_total", "Objects found with fewer than k good shards.", c, func(p *MaintProgress) float64 { return float64(p.Unrecoverable) }),
		d("heal_bytes_total", "Bytes rewritten by heal.", c, func(p *MaintProgress) float64 { return float64(p.HealBytes) }),
		d("scrubbed_objects_total", "Objects verified by the scrubber.", c, func(p *MaintProgress) float64 { return float64(p.ScrubObjects) }),
		d("scrubbed_bytes_total", "Bytes verified by the scrubber.", c, func(p *MaintProgress) float64 { return float64(p.ScrubBytes) }),
		d("scrub_passes_total", "Full scrub passes finished.", c, func(p *MaintProgress) float64 { return float64(p.ScrubPasses) }),
		d("scrub_pass_fraction", "Progress of the current scrub pass, 0..1.", g, func(p *MaintProgress) float64 { return p.ScrubPassFraction }),
		d("gc_records_total", "Garbage-collection records processed.", c, func(p *MaintProgress) float64 { return float64(p.GCRecords) }),
		d("gc_bytes_total", "Bytes reclaimed by garbage collection.", c, func(p *MaintProgress) float64 { return float64(p.GCBytes) }),
	}}
}

// Describe implements prometheus.Collector.
func (c *maintCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d.desc
	}
}

// Collect implements prometheus.Collector.
func (c *maintCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.progress()
	for _, d := range c.descs {
		ch <- prometheus.MustNewConstMetric(d.desc, d.kind, d.extract(&p))
	}
}

// RegisterMaint exports the scheduler's heal, scrub and GC progress;
// progress is called at every scrape and must be cheap and safe to call
// concurrently. Registering twice fails.
func (m *Metrics) RegisterMaint(progress func() MaintProgress) error {
	if m == nil || progress == nil {
		return nil
	}
	return m.register(newMaintCollector(progress))
}
