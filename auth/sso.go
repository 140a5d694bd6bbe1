package auth

import (
	"context"
	"fmt"
	"net/http"

	"github.com/fieldlink/fieldlink"
)

// AdminCreator is implemented by a Store that can add admin accounts.
// StartSession uses it to give a user signed in by single sign-on the
// account that a session belongs to.
type AdminCreator interface {
	CreateAdmin(ctx context.Context, username, passwordHash string) error
}

// StartSession creates a session for a user whom another party, such as an
// OpenID Connect provider, has already signed in, and sends its cookie. No
// password is checked, so the caller must have verified the user. When the
// username has no admin account and the Store is an AdminCreator, an
// account is created whose password is random and never shown, so the user
// can sign in by single sign-on only.
func (m *Manager) StartSession(ctx context.Context, w http.ResponseWriter, r *http.Request, username string) (User, error) {
	if err := m.ensureAdmin(ctx, username); err != nil {
		return User{}, err
	}

	id, idHash, err := newSecret()
	if err != nil {
		return User{}, err
	}
	now := m.opts.Now()
	s := Session{IDHash: idHash, Username: username, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(m.opts.MaxAge)}
	if err := m.opts.Store.CreateSession(ctx, s); err != nil {
		return User{}, fmt.Errorf("create session for %s: %w", username, err)
	}

	m.SetCookie(w, r, id)
	m.log.Info("signed in by single sign-on", "username", username)
	return m.user(s), nil
}

// ensureAdmin creates the admin account of a single sign-on user when it
// is missing.
// NOTE: the account and its sessions stay after the user leaves the
// allow-list. Sessions run to their expiry unless "fieldlink admin delete"
// removes the account.
func (m *Manager) ensureAdmin(ctx context.Context, username string) error {
	_, err := m.opts.Store.GetAdmin(ctx, username)
	if err == nil {
		return nil
	}
	if fieldlink.ErrorCode(err) != fieldlink.ENotFound {
		return fmt.Errorf("read admin %s: %w", username, err)
	}
	creator, ok := m.opts.Store.(AdminCreator)
	if !ok {
		return fmt.Errorf("admin %s does not exist and the session store cannot create accounts", username)
	}

	password, _, err := newSecret()
	if err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return fmt.Errorf("hash random password of %s: %w", username, err)
	}
	// A concurrent sign-in of the same user may have created it already.
	if err := creator.CreateAdmin(ctx, username, hash); err != nil && fieldlink.ErrorCode(err) != fieldlink.EConflict {
		return fmt.Errorf("create admin %s for single sign-on: %w", username, err)
	}
	m.log.Info("created admin account for single sign-on user", "username", username)
	return nil
}
