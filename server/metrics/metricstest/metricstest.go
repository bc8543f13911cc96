// Package metricstest reads samples from a metrics registry in tests.
package metricstest

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/gehoord/gehoord/server/metrics"
)

// Value is the value of one sample as the scrape shows it, named with its
// labels as in the text format (`gehoord_x_total{result="created"}`); zero
// when the sample is not there yet.
func Value(t testing.TB, r *metrics.Registry, sample string) float64 {
	t.Helper()
	var b bytes.Buffer
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	for sc.Scan() {
		// The value follows the last space: label values may hold spaces.
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || line[:i] != sample {
			continue
		}
		f, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %s: %v", sample, err)
		}
		return f
	}
	return 0
}
