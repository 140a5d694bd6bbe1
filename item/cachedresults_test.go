package item

import (
	"context"
	"fmt"
	"testing"
)

func TestCachedResultsCountsEntries(t *testing.T) {
	engine := NewEngine(Options{Upstream: jsonUpstream(userBody)})
	cached, uncached := officeItem(60), officeItem(0)
	uncached.ID = "item-uncached"

	for i := range 3 {
		tc := ticket(fmt.Sprintf("user%d@fabrikam.example", i), "")
		if _, err := engine.Evaluate(context.Background(), cached, graphDatasource, tc); err != nil {
			t.Fatalf("Evaluate cached item: %v", err)
		}
		if _, err := engine.Evaluate(context.Background(), uncached, graphDatasource, tc); err != nil {
			t.Fatalf("Evaluate uncached item: %v", err)
		}
	}
	afterEvaluations := engine.CachedResults()
	engine.ForgetAll()
	afterForgetAll := engine.CachedResults()

	if afterEvaluations != 3 {
		t.Errorf("CachedResults() = %d after 3 reporters of a caching item and an item without cache, want 3", afterEvaluations)
	}
	if afterForgetAll != 0 {
		t.Errorf("CachedResults() = %d after ForgetAll, want 0", afterForgetAll)
	}
}
