package triage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/item"
)

// resolvingItems is an ItemEvaluator that looks up the item's datasource
// through the resolver, as the items engine does, then fails with err.
type resolvingItems struct {
	err error
}

func (f resolvingItems) EvaluateWithDependencies(ctx context.Context, it fieldlink.Item, r item.Resolver, _ fieldlink.TicketContext) (fieldlink.ItemResult, error) {
	if _, err := r.Datasource(ctx, it.DatasourceID); err != nil {
		return fieldlink.ItemResult{}, err
	}
	return fieldlink.ItemResult{}, f.err
}

func TestProcessReasonNamesDatasource(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus fieldlink.EventStatus
		want       string
	}{
		{
			name:       "transient",
			err:        fmt.Errorf(`request GET /users of item "Reporter office": %w`, context.DeadlineExceeded),
			wantStatus: fieldlink.EventPending,
			want:       `datasource "Graph": request GET /users of item "Reporter office": context deadline exceeded`,
		},
		{
			name:       "final",
			err:        errors.New("paging stopped"),
			wantStatus: fieldlink.EventFailed,
			want:       `datasource "Graph": item "Reporter office": paging stopped`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSetup(t)
			s.processor.Items = resolvingItems{err: tt.err}
			id := s.storeEvent(t, "ITH-1", "ada@fabrikam.example")

			err := s.processor.Process(context.Background(), id, false)

			var transient *TransientError
			wantTransient := tt.wantStatus == fieldlink.EventPending
			if errors.As(err, &transient) != wantTransient {
				t.Errorf("Process error = %v, want transient: %v", err, wantTransient)
			}
			ev := s.event(t, id)
			if ev.Status != tt.wantStatus {
				t.Errorf("status = %q, want %q", ev.Status, tt.wantStatus)
			}
			if !strings.HasPrefix(ev.Outcome.Reason, tt.want) {
				t.Errorf("reason = %q, want it to start with %q", ev.Outcome.Reason, tt.want)
			}
		})
	}
}

func TestWithDatasourceKeepsTransient(t *testing.T) {
	inner := fmt.Errorf("token request: %w", context.DeadlineExceeded)

	err := withDatasource(&TransientError{Err: inner, RetryAfter: 3 * time.Second}, fieldlink.Datasource{Name: "Microsoft Graph"})

	var transient *TransientError
	if !errors.As(err, &transient) {
		t.Fatalf("error = %v, want a *TransientError", err)
	}
	if transient.RetryAfter != 3*time.Second {
		t.Errorf("RetryAfter = %s, want 3s", transient.RetryAfter)
	}
	if want := `datasource "Microsoft Graph": token request: context deadline exceeded`; err.Error() != want {
		t.Errorf("message = %q, want %q", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, context.DeadlineExceeded) = false, want true")
	}
}

func TestWithDatasourceUnknown(t *testing.T) {
	inner := errors.New("boom")

	if err := withDatasource(inner, fieldlink.Datasource{}); err != inner {
		t.Errorf("error = %v, want the error unchanged without a datasource name", err)
	}
	if err := withDatasource(nil, fieldlink.Datasource{Name: "Graph"}); err != nil {
		t.Errorf("error = %v, want nil", err)
	}
}

func TestItemPrefixSkipsNamedItem(t *testing.T) {
	if got := itemPrefix("Reporter office", errors.New(`paging item "Reporter office" stopped`)); got != "" {
		t.Errorf("itemPrefix = %q for an error that names the item, want none", got)
	}
	if got, want := itemPrefix("Reporter office", errors.New("boom")), `item "Reporter office": `; got != want {
		t.Errorf("itemPrefix = %q, want %q", got, want)
	}
}
