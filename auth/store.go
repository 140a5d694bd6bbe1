package auth

import (
	"context"
	"time"
)

// Admin is a local admin account.
type Admin struct {
	Username string
	// PasswordHash is the Argon2id hash from HashPassword.
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Session is a signed-in browser. Only the SHA-256 of its ID is stored.
type Session struct {
	// IDHash is the hex SHA-256 of the session ID sent in the cookie.
	IDHash     string
	Username   string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session, however active it is.
	ExpiresAt time.Time
}

// Store keeps admins and sessions. Get methods return a fieldlink.Error with
// code ENotFound for a missing record.
type Store interface {
	GetAdmin(ctx context.Context, username string) (Admin, error)
	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, idHash string) (Session, error)
	// TouchSession sets the time a session was last used.
	TouchSession(ctx context.Context, idHash string, lastSeen time.Time) error
	DeleteSession(ctx context.Context, idHash string) error
}
