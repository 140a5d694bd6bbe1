package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/fieldlink/fieldlink"
	"github.com/fieldlink/fieldlink/item"
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
	if err := s.checkItemDependencies(r.Context(), it); err != nil {
		s.writeError(w, r, err)
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
	it.ID = previous.ID

	if it.Name != previous.Name {
		if err := s.checkItemUnused(r.Context(), previous, "renamed"); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if err := s.checkItemDependencies(r.Context(), it); err != nil {
		s.writeError(w, r, err)
		return
	}
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
	if err := s.checkItemUnused(r.Context(), it, "deleted"); err != nil {
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

// checkItemUnused fails with EConflict while rules or other items refer to
// the item by name.
func (s *Server) checkItemUnused(ctx context.Context, it fieldlink.Item, change string) error {
	rules, err := s.rulesUsingItem(ctx, it.Name)
	if err != nil {
		return err
	}
	items, err := s.itemsDependingOn(ctx, it)
	if err != nil {
		return err
	}

	var users []string
	if len(rules) > 0 {
		users = append(users, "rule "+strings.Join(rules, ", rule "))
	}
	if len(items) > 0 {
		users = append(users, "item "+strings.Join(items, ", item "))
	}
	if len(users) == 0 {
		return nil
	}

	verb := "refer"
	if len(rules)+len(items) == 1 {
		verb = "refers"
	}
	return fieldlink.Errorf(fieldlink.EConflict, "item %q cannot be %s: %s %s to it; change them first",
		it.Name, change, strings.Join(users, " and "), verb)
}

// itemsDependingOn returns the quoted names of the other items whose
// templates refer to it.
func (s *Server) itemsDependingOn(ctx context.Context, it fieldlink.Item) ([]string, error) {
	all, err := s.opts.Store.ListItems(ctx)
	if err != nil {
		return nil, err
	}

	var using []string
	for _, other := range all {
		if other.ID == it.ID {
			continue
		}
		names, err := item.Dependencies(other)
		if err != nil {
			// A stored item whose templates no longer parse refers to
			// nothing that can be checked here.
			s.log.Warn("read item dependencies", "item", other.ID, "error", err)
			continue
		}
		if slices.Contains(names, it.Name) {
			using = append(using, fmt.Sprintf("%q", other.Name))
		}
	}
	return using, nil
}

// checkItemDependencies validates it together with the stored items, with
// item.ValidateAll: an item that it refers to must exist, and the
// references must not form a cycle, because every evaluation would fail.
// it replaces the stored item with its ID, if any.
//
// NOTE: ValidateAll validates every stored item too, so a stored item that
// the current rules reject blocks saving any other item until it is fixed.
func (s *Server) checkItemDependencies(ctx context.Context, it fieldlink.Item) error {
	all, err := s.opts.Store.ListItems(ctx)
	if err != nil {
		return err
	}

	items := make([]fieldlink.Item, 0, len(all)+1)
	for _, other := range all {
		if it.ID == "" || other.ID != it.ID {
			items = append(items, other)
		}
	}
	items = append(items, it)

	err = item.ValidateAll(items)
	var fe *fieldlink.Error
	if err != nil && !errors.As(err, &fe) {
		return invalidf("item %q: check the items it refers to: %v", it.Name, err)
	}
	return err
}

// readItem decodes and validates an item body, and sends the error response
// itself when the body is invalid.
func (s *Server) readItem(w http.ResponseWriter, r *http.Request) (fieldlink.Item, bool) {
	var body ItemBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return fieldlink.Item{}, false
	}

	it := itemFromBody(body)
	if err := s.validateItem(r.Context(), it); err != nil {
		s.writeError(w, r, err)
		return fieldlink.Item{}, false
	}
	return it, true
}

// validateItem checks an item's datasource and, with ValidateItemFunc, its
// templates and JSONPath.
func (s *Server) validateItem(ctx context.Context, it fieldlink.Item) error {
	if it.DatasourceID == "" {
		return invalidf("datasource is missing: give the id of the datasource the item queries")
	}
	if _, err := s.opts.Store.FindDatasource(ctx, it.DatasourceID); err != nil {
		if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
			err = invalidf("datasource %q does not exist: use the id of a datasource from GET /api/v1/datasources", it.DatasourceID)
		}
		return err
	}
	if s.opts.ValidateItemFunc != nil {
		return s.opts.ValidateItemFunc(it)
	}
	return nil
}

// evaluateItem runs an item and the items it depends on for a sample
// context, using cached results.
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

	result, err := s.opts.Items.EvaluateWithDependencies(r.Context(), it, storeResolver{s.opts.Store}, body.Context)
	if err != nil {
		s.log.Info("item evaluation failed", "item", it.ID, "error", err)
		s.writeEvaluationError(w, err)
		return
	}
	if result.Values == nil {
		result.Values = []string{}
	}
	writeJSON(w, http.StatusOK, result)
}

// writeEvaluationError sends 422 for a failed evaluation. The evaluation
// failed upstream or in a template, which is the result the caller asked
// for and not a server fault.
func (s *Server) writeEvaluationError(w http.ResponseWriter, err error) {
	code := "evaluation_failed"
	var fe *fieldlink.Error
	if errors.As(err, &fe) {
		code = fe.Code
	}
	writeJSON(w, http.StatusUnprocessableEntity, ErrorBody{Error: ErrorDetail{Code: code, Message: err.Error()}})
}
