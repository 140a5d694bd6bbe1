package item

import (
	"context"
	"errors"
	"sync"
)

// flight is one fetch of an item's pages that concurrent evaluations of the
// same request share.
type flight struct {
	// done is closed when pages and err are set.
	done  chan struct{}
	pages fetchResult
	err   error

	// followers counts the callers that joined the flight, guarded by the
	// group's mutex. Tests wait on it.
	followers int
}

// flightGroup holds the fetches in progress by cache key. The caller that
// starts a fetch, the leader, runs it in its own goroutine, so an uncached
// evaluation costs no extra goroutine. The others wait for it.
type flightGroup struct {
	mu      sync.Mutex
	flights map[cacheKey]*flight
}

// join returns the flight in progress for key, or starts one and reports
// that the caller leads it. A leader must call land.
func (g *flightGroup) join(key cacheKey) (f *flight, leader bool) {
	g.mu.Lock()
	defer g.mu.Unlock()

	if f, ok := g.flights[key]; ok {
		f.followers++
		return f, false
	}
	if g.flights == nil {
		g.flights = make(map[cacheKey]*flight)
	}
	f = &flight{done: make(chan struct{})}
	g.flights[key] = f
	return f, true
}

// land ends the flight for key with its outcome and wakes the callers that
// wait for it.
func (g *flightGroup) land(key cacheKey, f *flight, pages fetchResult, err error) {
	g.mu.Lock()
	delete(g.flights, key)
	g.mu.Unlock()

	f.pages, f.err = pages, err
	close(f.done)
}

// leaderCanceledError marks a fetch that failed because its leader's
// context ended. The callers that waited for it fetch again with their
// own contexts, so one caller's cancellation fails no other caller.
type leaderCanceledError struct {
	err error
}

func (e *leaderCanceledError) Error() string { return e.err.Error() }
func (e *leaderCanceledError) Unwrap() error { return e.err }

// errFetchPanicked ends a flight whose leader panicked, so the callers that
// wait for it do not wait forever.
var errFetchPanicked = errors.New("fetching the item's pages panicked; see the log of the caller that fetched them")

// share returns the outcome of fetch for key: it runs fetch with ctx when no
// fetch for key is in progress, and waits for the one in progress
// otherwise, until ctx ends. When the leader of that fetch was canceled,
// share tries again.
func (g *flightGroup) share(ctx context.Context, key cacheKey, fetch func(ctx context.Context) (fetchResult, error)) (fetchResult, error) {
	for {
		f, leader := g.join(key)
		if leader {
			return g.lead(ctx, key, f, fetch)
		}

		select {
		case <-ctx.Done():
			return fetchResult{}, ctx.Err()
		case <-f.done:
		}
		var canceled *leaderCanceledError
		if errors.As(f.err, &canceled) {
			continue
		}
		return f.pages, f.err
	}
}

// lead runs fetch for the flight f and lands it, also when fetch panics.
func (g *flightGroup) lead(ctx context.Context, key cacheKey, f *flight, fetch func(ctx context.Context) (fetchResult, error)) (pages fetchResult, err error) {
	landed := false
	defer func() {
		if !landed {
			g.land(key, f, fetchResult{}, errFetchPanicked)
		}
	}()

	pages, err = fetch(ctx)
	if err != nil && ctx.Err() != nil {
		g.land(key, f, fetchResult{}, &leaderCanceledError{err: err})
		landed = true
		return fetchResult{}, ctx.Err()
	}
	g.land(key, f, pages, err)
	landed = true
	return pages, err
}
