package item

import (
	"context"
	"errors"
	"testing"
	"time"
)

var flightKey = cacheKey{itemID: "item-1"}

// startFlight starts a leader whose fetch blocks until release is closed,
// and returns once the fetch runs.
func startFlight(t *testing.T, g *flightGroup, ctx context.Context, release <-chan struct{}) <-chan error {
	t.Helper()

	running := make(chan struct{})
	result := make(chan error, 1)
	go func() {
		_, err := g.share(ctx, flightKey, func(ctx context.Context) (fetchResult, error) {
			close(running)
			select {
			case <-release:
				return fetchResult{pages: 1}, nil
			case <-ctx.Done():
				return fetchResult{}, ctx.Err()
			}
		})
		result <- err
	}()
	<-running
	return result
}

func TestFlightFollowerShares(t *testing.T) {
	var g flightGroup
	release := make(chan struct{})
	leader := startFlight(t, &g, context.Background(), release)

	followerPages := make(chan fetchResult, 1)
	go func() {
		pages, _ := g.share(context.Background(), flightKey, func(context.Context) (fetchResult, error) {
			return fetchResult{pages: 2}, nil
		})
		followerPages <- pages
	}()
	waitForFollower(t, &g)
	close(release)

	if err := <-leader; err != nil {
		t.Errorf("leader: %v", err)
	}
	if got := <-followerPages; got.pages != 1 {
		t.Errorf("follower got the result of fetch %d, want the leader's fetch 1", got.pages)
	}
}

func TestFlightLeaderCanceledFollowerFetches(t *testing.T) {
	var g flightGroup
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leader := startFlight(t, &g, leaderCtx, make(chan struct{}))

	followerPages := make(chan fetchResult, 1)
	followerErr := make(chan error, 1)
	go func() {
		pages, err := g.share(context.Background(), flightKey, func(context.Context) (fetchResult, error) {
			return fetchResult{pages: 2}, nil
		})
		followerPages <- pages
		followerErr <- err
	}()
	waitForFollower(t, &g)
	cancelLeader()

	if err := <-leader; !errors.Is(err, context.Canceled) {
		t.Errorf("leader error = %v, want context.Canceled", err)
	}
	if err := <-followerErr; err != nil {
		t.Fatalf("follower: %v", err)
	}
	if got := <-followerPages; got.pages != 2 {
		t.Errorf("follower got the result of fetch %d, want its own fetch 2", got.pages)
	}
}

func TestFlightFollowerCanceledReturns(t *testing.T) {
	var g flightGroup
	release := make(chan struct{})
	defer close(release)
	startFlight(t, &g, context.Background(), release)

	ctx, cancel := context.WithCancel(context.Background())
	followerErr := make(chan error, 1)
	go func() {
		_, err := g.share(ctx, flightKey, func(context.Context) (fetchResult, error) {
			return fetchResult{}, errors.New("the follower must not fetch")
		})
		followerErr <- err
	}()
	waitForFollower(t, &g)
	cancel()

	if err := <-followerErr; !errors.Is(err, context.Canceled) {
		t.Errorf("follower error = %v, want context.Canceled", err)
	}
}

func TestFlightLeaderPanicEndsFlight(t *testing.T) {
	var g flightGroup
	release := make(chan struct{})
	panicked := make(chan any, 1)
	running := make(chan struct{})
	go func() {
		defer func() { panicked <- recover() }()
		g.share(context.Background(), flightKey, func(context.Context) (fetchResult, error) {
			close(running)
			<-release
			panic("broken fetch")
		})
	}()
	<-running

	followerErr := make(chan error, 1)
	go func() {
		_, err := g.share(context.Background(), flightKey, func(context.Context) (fetchResult, error) {
			return fetchResult{}, errors.New("the follower must not fetch")
		})
		followerErr <- err
	}()
	waitForFollower(t, &g)
	close(release)

	if got := <-panicked; got != "broken fetch" {
		t.Errorf("leader recovered %v, want its panic", got)
	}
	if err := <-followerErr; !errors.Is(err, errFetchPanicked) {
		t.Errorf("follower error = %v, want errFetchPanicked", err)
	}
}

// waitForFollower waits until a caller besides the leader has joined the
// flight for flightKey.
func waitForFollower(t *testing.T, g *flightGroup) {
	t.Helper()

	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		f, ok := g.flights[flightKey]
		joined := ok && f.followers > 0
		g.mu.Unlock()
		if joined {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no caller joined the flight within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}
