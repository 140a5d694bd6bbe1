package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/auth"
)

// SignInRequest is the body of POST /api/v1/session.
type SignInRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// SessionResponse describes the signed-in admin.
type SessionResponse struct {
	Username  string    `json:"username"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	// A cross-origin sign-in would put the browser in an attacker's
	// account, so sign-in is checked like every cookie request.
	if err := s.crossOrigin.Check(r); err != nil {
		writeForbidden(w, "cross-origin sign-in rejected: sign in on fieldlink's own login page")
		return
	}

	var req SignInRequest
	if err := s.decode(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Username == "" || req.Password == "" {
		s.writeError(w, r, invalidf("username and password are required"))
		return
	}

	id, user, err := s.opts.Sessions.Login(r.Context(), req.Username, req.Password, clientIP(r))
	if rl, ok := auth.IsRateLimited(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(rl.RetryAfter.Seconds()))))
		writeJSON(w, http.StatusTooManyRequests, ErrorBody{Error: ErrorDetail{Code: "rate_limited", Message: rl.Error()}})
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	s.opts.Sessions.SetCookie(w, r, id)
	s.recordAs(r, user.Username, "session.create", "")
	writeJSON(w, http.StatusOK, SessionResponse{Username: user.Username, ExpiresAt: user.ExpiresAt})
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	user, ok := s.opts.Sessions.UserFromRequest(r)
	if !ok {
		s.writeError(w, r, fieldlink.Errorf(fieldlink.EUnauthorized, "not signed in, or the session has expired: sign in again"))
		return
	}
	writeJSON(w, http.StatusOK, SessionResponse{Username: user.Username, ExpiresAt: user.ExpiresAt})
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if err := s.crossOrigin.Check(r); err != nil {
		writeForbidden(w, "cross-origin sign-out rejected: sign out on fieldlink's own pages")
		return
	}
	if err := s.opts.Sessions.Logout(w, r); err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
