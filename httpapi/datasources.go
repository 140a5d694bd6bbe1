package httpapi

import (
	"net/http"
	"reflect"
	"time"

	"github.com/fieldlink/fieldlink"
)

func (s *Server) listDatasources(w http.ResponseWriter, r *http.Request) {
	all, err := s.opts.Store.ListDatasources(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ListBody[DatasourceBody]{Items: make([]DatasourceBody, 0, len(all))}
	for _, ds := range all {
		out.Items = append(out.Items, s.datasourceBody(ds))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getDatasource(w http.ResponseWriter, r *http.Request) {
	ds, err := s.opts.Store.FindDatasource(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.datasourceBody(ds))
}

func (s *Server) createDatasource(w http.ResponseWriter, r *http.Request) {
	ds, err := s.readDatasource(w, r, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.opts.Store.CreateDatasource(r.Context(), &ds); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("datasource created", "datasource", ds.ID, "name", ds.Name, "auth", ds.Auth.Mode)
	writeJSON(w, http.StatusCreated, s.datasourceBody(ds))
}

func (s *Server) updateDatasource(w http.ResponseWriter, r *http.Request) {
	previous, err := s.opts.Store.FindDatasource(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := s.readDatasource(w, r, &previous)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.opts.Store.UpdateDatasource(r.Context(), &ds); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.forgetCredentials(ds.ID)

	s.log.Info("datasource updated", "datasource", ds.ID, "name", ds.Name, "auth", ds.Auth.Mode)
	writeJSON(w, http.StatusOK, s.datasourceBody(ds))
}

func (s *Server) deleteDatasource(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.opts.Store.DeleteDatasource(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.forgetCredentials(id)

	s.log.Info("datasource deleted", "datasource", id)
	w.WriteHeader(http.StatusNoContent)
}

// testDatasource runs Test connection on a saved datasource.
func (s *Server) testDatasource(w http.ResponseWriter, r *http.Request) {
	ds, err := s.opts.Store.FindDatasource(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	result := s.opts.Tester.Test(r.Context(), ds)
	writeJSON(w, http.StatusOK, result)
}

// testDraftDatasource runs Test connection on an unsaved datasource. With
// an "id", secrets left empty are taken from the saved datasource, so an
// edit form can be tested before it is saved.
func (s *Server) testDraftDatasource(w http.ResponseWriter, r *http.Request) {
	var body DatasourceBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}

	var previous *fieldlink.Datasource
	if body.ID != "" {
		saved, err := s.opts.Store.FindDatasource(r.Context(), body.ID)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		previous = &saved
	}
	ds, err := datasourceFromBody(body, previous)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if ds.ID == "" {
		// A draft has no identity, so its token is never cached under a
		// saved datasource's ID.
		ds.ID = "draft"
	}
	if previous != nil && sameSettings(ds, *previous) {
		// The form holds the saved settings, so the test result describes
		// the saved datasource and its health is recorded, as for the saved
		// route.
		ds.UpdatedAt = previous.UpdatedAt
	}
	if err := s.validateDatasource(ds); err != nil {
		s.writeError(w, r, err)
		return
	}

	result := s.opts.Tester.Test(r.Context(), ds)
	writeJSON(w, http.StatusOK, result)
}

// datasourceBody returns the datasource as the API shows it, with the
// configuration warnings that apply now.
func (s *Server) datasourceBody(ds fieldlink.Datasource) DatasourceBody {
	now := s.now()
	body := datasourceToBody(ds, now)
	if s.opts.WarningsFunc != nil {
		body.Warnings = s.opts.WarningsFunc(ds, now)
	}
	return body
}

// readDatasource decodes the datasource in a create or update request and
// validates it. previous is the saved datasource of an update, whose secrets
// fill the ones the request leaves empty, or nil for a create.
func (s *Server) readDatasource(w http.ResponseWriter, r *http.Request, previous *fieldlink.Datasource) (fieldlink.Datasource, error) {
	var body DatasourceBody
	if err := s.decode(w, r, &body); err != nil {
		return fieldlink.Datasource{}, err
	}

	ds, err := datasourceFromBody(body, previous)
	if err != nil {
		return fieldlink.Datasource{}, err
	}
	if err := s.validateDatasource(ds); err != nil {
		return fieldlink.Datasource{}, err
	}
	return ds, nil
}

func (s *Server) validateDatasource(ds fieldlink.Datasource) error {
	if err := ds.Validate(); err != nil {
		return err
	}
	if s.opts.ValidateAuthFunc != nil {
		return s.opts.ValidateAuthFunc(ds.Auth)
	}
	return nil
}

func (s *Server) forgetCredentials(id string) {
	if s.opts.ForgetCredentialsFunc != nil {
		s.opts.ForgetCredentialsFunc(id)
	}
}

// sameSettings reports whether a and b hold the same configuration, apart
// from identity, timestamps and health.
func sameSettings(a, b fieldlink.Datasource) bool {
	for _, ds := range []*fieldlink.Datasource{&a, &b} {
		ds.ID, ds.CreatedAt, ds.UpdatedAt, ds.Health = "", time.Time{}, time.Time{}, fieldlink.DatasourceHealth{}
		if len(ds.Headers) == 0 {
			ds.Headers = nil
		}
		if len(ds.Auth.TokenParams) == 0 {
			ds.Auth.TokenParams = nil
		}
		if len(ds.Auth.Scopes) == 0 {
			ds.Auth.Scopes = nil
		}
	}
	return reflect.DeepEqual(a, b)
}
