package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// diskResult is how long the disk under the state directories takes to
// make one 4 KiB write durable: the floor under every commit crampd makes
// with synchronous=FULL, and so under every reminder it fires.
type diskResult struct {
	P50Ms, P99Ms float64
}

// disk writes 4 KiB at the end of a file and fsyncs it, n times, in the
// directory the runs keep their state in.
func (b *bench) disk(out *diskResult) error {
	dir, err := b.runDir("disk")
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "fsync.test"))
	if err != nil {
		return err
	}
	defer f.Close()
	page := make([]byte, 4096)
	n := 200
	if b.cfg.quick {
		n = 50
	}
	var ms []float64
	for i := 0; i < n; i++ {
		start := time.Now()
		if _, err := f.Write(page); err != nil {
			return err
		}
		if err := f.Sync(); err != nil {
			return err
		}
		ms = append(ms, rig.Ms(time.Since(start)))
	}
	out.P50Ms, out.P99Ms = rig.Percentile(ms, 50), rig.Percentile(ms, 99)
	b.logf("disk: 4 KiB write + fsync p50 %.2f ms, p99 %.2f ms", out.P50Ms, out.P99Ms)
	return nil
}
