package bench

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink/httpapi"
)

// BenchmarkColdTokenRequests starts lookupSizes.coldLookups lookups at once
// on a datasource that has never fetched a token, each for another
// reporter. It reports the token requests the Entra emulator received,
// whose target is exactly 1, the Graph requests and the time until the last
// lookup returned.
func BenchmarkColdTokenRequests(b *testing.B) {
	for _, delay := range lookupDelays {
		b.Run(fmt.Sprintf("delay=%dms", delay.Milliseconds()), func(b *testing.B) {
			benchmarkColdTokens(b, delay)
		})
	}
}

func benchmarkColdTokens(b *testing.B, delay time.Duration) {
	up := startLookupUpstream(b, lookupSizes.coldLookups, delay)

	var tokenRequests, graphRequests int
	var total time.Duration
	b.ResetTimer()
	for range b.N {
		// A new stack has a new credential cache, so the datasource has no
		// token, and an empty result cache.
		b.StopTimer()
		stack := newLookupStack(b, 0)
		ds := stack.saveDatasource(b, lookupDatasource(up, "Microsoft Graph"))
		it := stack.saveItem(b, lookupItem("Reporter office", ds.ID, httpapi.DefaultCacheSeconds))
		tokensBefore, graphBefore := up.idp.TokenRequests(), up.api.Requests()
		errs := make([]error, len(up.users))

		// The lookups wait at a barrier, so they all start together.
		var ready, wg sync.WaitGroup
		start := make(chan struct{})
		ready.Add(len(up.users))
		for i, user := range up.users {
			wg.Go(func() {
				ready.Done()
				<-start
				result, err := stack.engine.Evaluate(context.Background(), it, ds, lookupReporterContext(user))
				if err == nil {
					err = lookupCheckOffice(result, user)
				}
				errs[i] = err
			})
		}
		ready.Wait()
		b.StartTimer()

		began := time.Now()
		close(start)
		wg.Wait()
		total += time.Since(began)

		for _, err := range errs {
			if err != nil {
				b.Fatalf("cold lookup: %v", err)
			}
		}
		tokenRequests += up.idp.TokenRequests() - tokensBefore
		graphRequests += up.api.Requests() - graphBefore
	}
	b.StopTimer()

	rounds := float64(b.N)
	b.ReportMetric(float64(tokenRequests)/rounds, "token-requests")
	b.ReportMetric(float64(graphRequests)/rounds, "graph-requests")
	b.ReportMetric(float64(total.Milliseconds())/rounds, "total-ms")
}
