package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/fieldlink/fieldlink"
)

func (s *Server) listItems(w http.ResponseWriter, r *http.Request) {
	all, err := s.opts.Store.ListItems(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := ListBody[ItemBody]{Items: make([]ItemBody, 0, len(all))}
	for _, it := range all {
		out.Items = append(out.Items, itemToBody(it))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getItem(w http.ResponseWriter, r *http.Request) {
	it, err := s.opts.Store.FindItem(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, itemToBody(it))
}

func (s *Server) createItem(w http.ResponseWriter, r *http.Request) {
	it, ok := s.readItem(w, r)
	if !ok {
		return
	}
	if err := s.opts.Store.CreateItem(r.Context(), &it); err != nil {
		s.writeError(w, r, err)
		return
	}

	s.log.Info("item created", "item", it.ID, "name", it.Name, "datasource", it.DatasourceID)
	writeJSON(w, http.StatusCreated, itemToBody(it))
}

func (s *Server) updateItem(w http.ResponseWriter, r *http.Request) {
	previous, err := s.opts.Store.FindItem(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	it, ok := s.readItem(w, r)
	if !ok {
		return
	}
	if it.Name != previous.Name {
		if err := s.checkItemUnused(r.Context(), previous.Name, "renamed"); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	it.ID = r.PathValue("id")
	if err := s.opts.Store.UpdateItem(r.Context(), &it); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.opts.Items.Forget(it.ID)

	s.log.Info("item updated", "item", it.ID, "name", it.Name)
	writeJSON(w, http.StatusOK, itemToBody(it))
}

func (s *Server) deleteItem(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	it, err := s.opts.Store.FindItem(r.Context(), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.checkItemUnused(r.Context(), it.Name, "deleted"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.opts.Store.DeleteItem(r.Context(), id); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.opts.Items.Forget(id)

	s.log.Info("item deleted", "item", id)
	w.WriteHeader(http.StatusNoContent)
}

// checkItemUnused fails with EConflict while rules refer to the item by name.
func (s *Server) checkItemUnused(ctx context.Context, name, change string) error {
	using, err := s.rulesUsingItem(ctx, name)
	if err != nil {
		return err
	}
	if len(using) > 0 {
		return fieldlink.Errorf(fieldlink.EConflict, "item %q cannot be %s: rule %s refers to it; change the rule first",
			name, change, strings.Join(using, ", rule "))
	}
	return nil
}

// readItem decodes and validates an item body, answering the request itself
// when it is bad.
func (s *Server) readItem(w http.ResponseWriter, r *http.Request) (fieldlink.Item, bool) {
	var body ItemBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return fieldlink.Item{}, false
	}

	it := itemFromBody(body)
	if it.DatasourceID == "" {
		s.writeError(w, r, invalidf("datasource is missing: give the id of the datasource the item queries"))
		return fieldlink.Item{}, false
	}
	if _, err := s.opts.Store.FindDatasource(r.Context(), it.DatasourceID); err != nil {
		if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
			err = invalidf("datasource %q does not exist: use the id of a datasource from GET /api/v1/datasources", it.DatasourceID)
		}
		s.writeError(w, r, err)
		return fieldlink.Item{}, false
	}
	if s.opts.ValidateItemFunc != nil {
		if err := s.opts.ValidateItemFunc(it); err != nil {
			s.writeError(w, r, err)
			return fieldlink.Item{}, false
		}
	}
	return it, true
}

// evaluateItem runs an item for a sample context, as the tester does.
func (s *Server) evaluateItem(w http.ResponseWriter, r *http.Request) {
	it, err := s.opts.Store.FindItem(r.Context(), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body EvaluateBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	ds, err := s.opts.Store.FindDatasource(r.Context(), it.DatasourceID)
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	result, err := s.opts.Items.Evaluate(r.Context(), it, ds, body.Context)
	if err != nil {
		// The evaluation failed upstream or in the template: that is the
		// answer the admin asked for, not a server fault.
		var fe *fieldlink.Error
		if !errors.As(err, &fe) {
			err = &fieldlink.Error{Code: "evaluation_failed", Message: err.Error()}
		}
		s.log.Info("item evaluation failed", "item", it.ID, "error", err)
		writeJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: ErrorDetail{Code: fieldlink.ErrorCode(err), Message: err.Error()}})
		return
	}
	if result.Values == nil {
		result.Values = []string{}
	}
	writeJSON(w, http.StatusOK, result)
}
