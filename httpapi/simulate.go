package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/fieldlink/fieldlink"
)

// Simulator works out what processing a webhook payload for a hook would do,
// without writing to Jira or to stored events. *triage.Processor implements
// it.
type Simulator interface {
	Simulate(ctx context.Context, hook fieldlink.Hook, payload []byte) (fieldlink.Outcome, error)
}

// maxSimulations bounds how many tickets one simulation request covers,
// because each one may call every item's upstream API.
const maxSimulations = 100

// SimulateBody is the request of POST /api/v1/rules/simulate. It gives
// exactly one of Events, Payloads and Recent.
type SimulateBody struct {
	Hook string `json:"hook"`

	// Events are IDs of stored events whose payloads are simulated.
	Events []int64 `json:"events,omitempty"`

	// Payloads are Jira webhook bodies or bare Jira issues
	// ({"id", "key", "fields"}).
	// NOTE: the whole request is bounded by Options.MaxBodyBytes (1 MiB by
	// default), so large payloads must be stored events or sent in batches.
	Payloads []json.RawMessage `json:"payloads,omitempty"`

	// Recent simulates the hook's most recent stored events, newest first.
	Recent int `json:"recent,omitempty"`
}

// SimulationListBody is the response of POST /api/v1/rules/simulate.
type SimulationListBody struct {
	Hook    string           `json:"hook"`
	RuleSet string           `json:"ruleSet"`
	Items   []SimulationBody `json:"items"`
}

// SimulationBody is the planned result of processing one ticket.
type SimulationBody struct {
	// Event is the stored event simulated, 0 for a payload from the request.
	Event    int64             `json:"event,omitempty"`
	IssueKey string            `json:"issueKey"`
	Reporter string            `json:"reporter"`
	Items    map[string]string `json:"items"`
	Rule     string            `json:"rule,omitempty"`
	Rules    []string          `json:"rules,omitempty"`

	// Fields maps each field the rules would set to the value the rule
	// gives it, before its ${…} placeholders are filled in.
	Fields map[string]json.RawMessage `json:"fields,omitempty"`
	Labels []string                   `json:"labels,omitempty"`

	// Comment is the comment the first matched rule with one would post,
	// before its placeholders are filled in.
	Comment      string   `json:"comment,omitempty"`
	Participants []string `json:"participants,omitempty"`

	// Reason explains why nothing would be written, or what would fail.
	Reason string `json:"reason,omitempty"`
}

// simulationInput is one payload to simulate, with the event it came from.
type simulationInput struct {
	event   int64
	payload []byte
}

// simulateRules runs the hook's rules on stored events or given payloads and
// returns what each ticket would get. Nothing is written to Jira or to the
// events.
func (s *Server) simulateRules(w http.ResponseWriter, r *http.Request) {
	if s.opts.Simulator == nil {
		s.writeError(w, r, fieldlink.Errorf(fieldlink.EInternal, "simulate rules: the server has no simulator configured"))
		return
	}
	var body SimulateBody
	if err := s.decode(w, r, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Hook == "" {
		s.writeError(w, r, invalidf("hook is missing: give the id of the hook whose rule set to simulate, from GET /api/v1/hooks"))
		return
	}
	hook, err := s.opts.Store.FindHook(r.Context(), body.Hook)
	if err != nil {
		if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
			err = invalidf("hook %q does not exist: use the id of a hook from GET /api/v1/hooks", body.Hook)
		}
		s.writeError(w, r, err)
		return
	}

	inputs, err := s.simulationInputs(r.Context(), body)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rules, err := s.opts.Store.ListRulesInSet(r.Context(), hook.RuleSet)
	if err != nil {
		s.writeError(w, r, err)
		return
	}

	out := SimulationListBody{Hook: hook.ID, RuleSet: hook.RuleSet, Items: make([]SimulationBody, 0, len(inputs))}
	for _, in := range inputs {
		outcome, err := s.opts.Simulator.Simulate(r.Context(), hook, in.payload)
		if err != nil && outcome.Reason == "" {
			outcome.Reason = err.Error()
		}
		out.Items = append(out.Items, simulationToBody(in.event, outcome, rules))
	}

	s.log.Info("rules simulated", "hook", hook.ID, "ruleSet", hook.RuleSet, "tickets", len(out.Items))
	writeJSON(w, http.StatusOK, out)
}

// simulationInputs returns the payloads a simulation request names.
func (s *Server) simulationInputs(ctx context.Context, body SimulateBody) ([]simulationInput, error) {
	sources := 0
	for _, set := range []bool{len(body.Events) > 0, len(body.Payloads) > 0, body.Recent != 0} {
		if set {
			sources++
		}
	}
	if sources != 1 {
		return nil, invalidf("give exactly one of events (event ids), payloads (Jira webhook or issue bodies) or recent (a number of recent events)")
	}

	var inputs []simulationInput
	switch {
	case len(body.Events) > 0:
		if len(body.Events) > maxSimulations {
			return nil, invalidf("events has %d ids: simulate at most %d at once", len(body.Events), maxSimulations)
		}
		for _, id := range body.Events {
			e, err := s.opts.Store.FindEvent(ctx, id)
			if fieldlink.ErrorCode(err) == fieldlink.ENotFound {
				return nil, invalidf("event %d does not exist: use ids from GET /api/v1/events", id)
			}
			if err != nil {
				return nil, err
			}
			inputs = append(inputs, simulationInput{event: e.ID, payload: e.Payload})
		}

	case len(body.Payloads) > 0:
		if len(body.Payloads) > maxSimulations {
			return nil, invalidf("payloads has %d entries: simulate at most %d at once", len(body.Payloads), maxSimulations)
		}
		for _, p := range body.Payloads {
			inputs = append(inputs, simulationInput{payload: p})
		}

	default:
		if body.Recent < 1 || body.Recent > maxSimulations {
			return nil, invalidf("recent %d is invalid: use a number from 1 to %d", body.Recent, maxSimulations)
		}
		events, err := s.opts.Store.FindEvents(ctx, fieldlink.EventFilter{HookID: body.Hook, Limit: body.Recent})
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			inputs = append(inputs, simulationInput{event: e.ID, payload: e.Payload})
		}
	}
	return inputs, nil
}

// simulationToBody turns a planned outcome into the response, looking up the
// field values in the rules that matched.
func simulationToBody(event int64, o fieldlink.Outcome, rules []fieldlink.Rule) SimulationBody {
	body := SimulationBody{
		Event:        event,
		IssueKey:     o.IssueKey,
		Reporter:     o.Reporter,
		Items:        o.Items,
		Rule:         o.Rule,
		Rules:        o.Rules,
		Labels:       o.LabelsAdded,
		Participants: o.ParticipantsAdded,
		Reason:       o.Reason,
	}
	if body.Items == nil {
		body.Items = map[string]string{}
	}

	matched := o.Rules
	if len(matched) == 0 && o.Rule != "" {
		matched = []string{o.Rule}
	}
	if o.Commented {
		body.Comment = plannedComment(matched, rules)
	}
	for _, id := range o.FieldsWritten {
		if body.Fields == nil {
			body.Fields = map[string]json.RawMessage{}
		}
		body.Fields[id] = plannedValue(id, matched, rules)
	}
	return body
}

// plannedComment returns the comment of the first matched rule that has one.
func plannedComment(matched []string, rules []fieldlink.Rule) string {
	for _, name := range matched {
		for _, rl := range rules {
			if rl.Name == name && rl.Comment != "" {
				return rl.Comment
			}
		}
	}
	return "(comment not found in rule set)"
}

// plannedValue returns the value the last matched rule that sets the field
// gives it, because a later rule's write replaces an earlier one's.
// NOTE: the outcome names rules, and rule names need not be unique within a
// set, so two rules of the same name may show the other one's value.
func plannedValue(fieldID string, matched []string, rules []fieldlink.Rule) json.RawMessage {
	var value json.RawMessage
	for _, name := range matched {
		for _, rl := range rules {
			if rl.Name != name {
				continue
			}
			if v, ok := rl.Fields[fieldID]; ok {
				value = v
			}
			break
		}
	}
	if value == nil {
		return json.RawMessage(fmt.Sprintf("%q", "(value not found in rule set)"))
	}
	return value
}
