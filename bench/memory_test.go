package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/httpapi"
	"github.com/fieldlink/fieldlink/item"
)

// memoryWorkers is the number of lookups BenchmarkMemoryResident makes at
// once while it fills the cache.
const memoryWorkers = 8

// BenchmarkMemoryResident stores lookupSizes.datasources datasources and
// lookupSizes.items items in a SQLite file, evaluates every item for enough
// reporters to cache lookupSizes.cachedLookups results, and reports the
// process's resident size (VmRSS) and live heap after a garbage collection.
// The target is under 200 MiB.
//
// It runs once with the engine's default cache size, reporting how many
// results that cache kept, and once with the cache sized for every lookup.
func BenchmarkMemoryResident(b *testing.B) {
	cases := []struct {
		name       string
		maxEntries int
	}{
		{"cache=default", 0},
		{fmt.Sprintf("cache=%d", lookupSizes.cachedLookups), lookupSizes.cachedLookups},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchmarkMemoryResident(b, c.maxEntries)
		})
	}
}

// memoryUsage is the memory of the process after a garbage collection.
type memoryUsage struct {
	rssBytes  uint64
	heapBytes uint64
}

func benchmarkMemoryResident(b *testing.B, maxEntries int) {
	reportersPerItem := max(lookupSizes.cachedLookups/lookupSizes.items, 1)
	up := startLookupUpstream(b, reportersPerItem, 0)

	var before, after memoryUsage
	var cached int
	b.ResetTimer()
	for range b.N {
		before = measureLookupMemory(b)

		stack := newLookupStack(b, maxEntries)
		datasources, items := storeMemoryConfiguration(b, stack, up)
		fillLookupCache(b, stack, up, datasources, items)

		cached = stack.engine.CachedResults()
		after = measureLookupMemory(b)

		// The configuration and the stack stay reachable until measured,
		// as they would in a running server.
		runtime.KeepAlive(datasources)
		runtime.KeepAlive(items)
		runtime.KeepAlive(stack)
	}
	b.StopTimer()

	b.ReportMetric(lookupMebibytes(after.rssBytes), "rss-mib")
	b.ReportMetric(lookupMebibytes(after.heapBytes), "heap-mib")
	b.ReportMetric(lookupMebibytes(before.rssBytes), "rss-before-mib")
	b.ReportMetric(float64(cached), "cached-entries")
	b.ReportMetric(float64(len(up.users)*lookupSizes.items), "lookups")
}

// storeMemoryConfiguration creates the datasources and the items through the
// store, item i on datasource i modulo their number, and reads them back as a
// server lists them.
func storeMemoryConfiguration(b *testing.B, stack *lookupStack, up *lookupUpstream) ([]fieldlink.Datasource, []fieldlink.Item) {
	b.Helper()

	ctx := context.Background()
	for i := range lookupSizes.datasources {
		ds := lookupDatasource(up, fmt.Sprintf("Microsoft Graph %04d", i))
		if err := stack.db.CreateDatasource(ctx, &ds); err != nil {
			b.Fatalf("create datasource %q: %v", ds.Name, err)
		}
	}
	datasources, err := stack.db.ListDatasources(ctx)
	if err != nil {
		b.Fatalf("list datasources: %v", err)
	}

	for i := range lookupSizes.items {
		it := lookupItem(fmt.Sprintf("Reporter office %04d", i), datasources[i%len(datasources)].ID, httpapi.DefaultCacheSeconds)
		if err := item.Validate(it); err != nil {
			b.Fatalf("item %q is invalid: %v", it.Name, err)
		}
		if err := stack.db.CreateItem(ctx, &it); err != nil {
			b.Fatalf("create item %q: %v", it.Name, err)
		}
	}
	items, err := stack.db.ListItems(ctx)
	if err != nil {
		b.Fatalf("list items: %v", err)
	}

	if len(datasources) != lookupSizes.datasources || len(items) != lookupSizes.items {
		b.Fatalf("the store lists %d datasources and %d items, want %d and %d", len(datasources), len(items), lookupSizes.datasources, lookupSizes.items)
	}
	return datasources, items
}

// fillLookupCache evaluates every item for every user of the directory.
func fillLookupCache(b *testing.B, stack *lookupStack, up *lookupUpstream, datasources []fieldlink.Datasource, items []fieldlink.Item) {
	b.Helper()

	byID := make(map[string]fieldlink.Datasource, len(datasources))
	for _, ds := range datasources {
		byID[ds.ID] = ds
	}
	lookups := len(items) * len(up.users)
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup

	for range memoryWorkers {
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= lookups {
					return
				}
				it := items[n/len(up.users)]
				user := up.users[n%len(up.users)]

				result, err := stack.engine.Evaluate(context.Background(), it, byID[it.DatasourceID], lookupReporterContext(user))
				if err == nil {
					err = lookupCheckOffice(result, user)
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()

	if firstErr != nil {
		b.Fatalf("fill the cache: %v", firstErr)
	}
}

// measureLookupMemory collects garbage, returns freed memory to the
// operating system, and reads the resident size and the heap in use.
func measureLookupMemory(b *testing.B) memoryUsage {
	b.Helper()

	debug.FreeOSMemory()

	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(samples)
	heap := samples[0].Value.Uint64()

	rss, err := readVmRSS()
	if err != nil {
		b.Fatalf("read resident size: %v", err)
	}
	return memoryUsage{rssBytes: rss, heapBytes: heap}
}

// readVmRSS returns the VmRSS line of /proc/self/status in bytes.
func readVmRSS() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()

	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		value, ok := strings.CutPrefix(scanner.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kib, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse VmRSS %q: %w", value, err)
		}
		return kib << 10, nil
	}
	if err := scanner.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/self/status has no VmRSS line")
}

// lookupMebibytes returns n bytes in MiB.
func lookupMebibytes(n uint64) float64 {
	return float64(n) / (1 << 20)
}
