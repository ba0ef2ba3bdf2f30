package s3api

import (
	"errors"
	"net/http"

	"github.com/tasmaniancloud/rustfs/iam/policy"
	"github.com/tasmaniancloud/rustfs/iam/users"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// The user-management endpoints of the admin API (root only, like every
// admin endpoint). Arguments travel in the query string, bodies only for
// policy documents and simulations; answers are JSON.
//
//	POST   users?name=N                  create N and its first key → users.Created (the secret, once)
//	GET    users[?name=N]                list users (or one) with their keys, never secrets
//	DELETE users?name=N                  delete N, its keys and memberships
//	POST   keys?user=N                   another key for N → users.Created
//	PATCH  keys?accessKey=K&status=S     S = Active | Inactive
//	DELETE keys?accessKey=K              delete a key
//	GET    policies                      named policies: {name: document}
//	PUT    policies?name=P               create or replace P (body: the document)
//	DELETE policies?name=P               delete P (refused while attached)
//	POST   users/policies?user=N&policy=P  attach P to N
//	DELETE users/policies?user=N&policy=P  detach P from N
//	POST   groups?name=G                 create group G → users.Group
//	GET    groups[?name=G]               list groups (or one) with members and policies
//	DELETE groups?name=G                 delete G (refused while it has members or policies)
//	POST   groups/members?group=G&user=N   add N to G
//	DELETE groups/members?group=G&user=N   remove N from G
//	POST   groups/policies?group=G&policy=P  attach P to G
//	DELETE groups/policies?group=G&policy=P  detach P from G
//	POST   simulate                      evaluate the live policies (body: SimulateRequest)
var userAdminRoutes = []adminRoute{
	{http.MethodPost, "users", userCall(func(r *request, st *users.Store, a []string) (any, error) { return st.CreateUser(r.cx, a[0]) }, "name")},
	{http.MethodGet, "users", listOrGet(func(st *users.Store, n string) (any, error) { return st.Get(n) }, func(st *users.Store) any { return st.List() })},
	{http.MethodDelete, "users", userCall(func(r *request, st *users.Store, a []string) (any, error) { return nil, st.DeleteUser(r.cx, a[0]) }, "name")},
	{http.MethodPost, "keys", userCall(func(r *request, st *users.Store, a []string) (any, error) { return st.CreateKey(r.cx, a[0]) }, "user")},
	{http.MethodPatch, "keys", (*request).adminKeyStatus},
	{http.MethodDelete, "keys", userCall(func(r *request, st *users.Store, a []string) (any, error) { return nil, st.DeleteKey(r.cx, a[0]) }, "accessKey")},
	{http.MethodGet, "policies", userCall(func(r *request, st *users.Store, a []string) (any, error) { return st.Policies(), nil })},
	{http.MethodPut, "policies", userCall(adminPutPolicy, "name")},
	{http.MethodDelete, "policies", userCall(func(r *request, st *users.Store, a []string) (any, error) { return nil, st.DeletePolicy(r.cx, a[0]) }, "name")},
	{http.MethodPost, "users/policies", userCall(func(r *request, st *users.Store, a []string) (any, error) { return nil, st.Attach(r.cx, a[0], a[1]) }, "user", "policy")},
	{http.MethodDelete, "users/policies", userCall(func(r *request, st *users.Store, a []string) (any, error) { return nil, st.Detach(r.cx, a[0], a[1]) }, "user", "policy")},
	{http.MethodPost, "groups", userCall(func(r *request, st *users.Store, a []string) (any, error) { return st.CreateGroup(r.cx, a[0]) }, "name")},
	{http.MethodGet, "groups", listOrGet(func(st *users.Store, n string) (any, error) { return st.GetGroup(n) }, func(st *users.Store) any { return st.Groups() })},
	{http.MethodDelete, "groups", userCall(func(r *request, st *users.Store, a []string) (any, error) { return nil, st.DeleteGroup(r.cx, a[0]) }, "name")},
	{http.MethodPost, "groups/members", userCall(func(r *request, st *users.Store, a []string) (any, error) { return nil, st.AddMember(r.cx, a[0], a[1]) }, "group", "user")},
	{http.MethodDelete, "groups/members", userCall(func(r *request, st *users.Store, a []string) (any, error) {
		return nil, st.RemoveMember(r.cx, a[0], a[1])
	}, "group", "user")},
	{http.MethodPost, "groups/policies", userCall(func(r *request, st *users.Store, a []string) (any, error) {
		return nil, st.AttachGroup(r.cx, a[0], a[1])
	}, "group", "policy")},
	{http.MethodDelete, "groups/policies", userCall(func(r *request, st *users.Store, a []string) (any, error) {
		return nil, st.DetachGroup(r.cx, a[0], a[1])
	}, "group", "policy")},
	{http.MethodPost, "simulate", (*request).adminSimulate},
}

// userCall is the one shape of a user-store endpoint: it needs the store
// and the named query parameters (each required), runs fn with their
// values in order, maps store errors to IAM's codes and answers fn's
// result as JSON ({} when it has none).
func userCall(fn func(r *request, st *users.Store, args []string) (any, error), params ...string) func(*request) error {
	return func(r *request) error {
		st, err := r.userStore()
		if err != nil {
			return err
		}
		args := make([]string, len(params))
		for i, p := range params {
			if args[i], err = r.need(p); err != nil {
				return err
			}
		}
		out, err := fn(r, st, args)
		if err != nil {
			return userError(err)
		}
		if out == nil {
			out = struct{}{}
		}
		return r.writeJSON(http.StatusOK, out)
	}
}

// maxIdentityPolicySize bounds a named policy document (AWS: 6,144
// characters for a managed policy; we allow what a bucket policy may be).
const maxIdentityPolicySize = 20 << 10

// userStore returns the user store or NotImplemented.
func (r *request) userStore() (*users.Store, error) {
	if r.s.o.Users == nil {
		return nil, s3err.Newf(s3err.NotImplemented, "This server has no user store.")
	}
	return r.s.o.Users, nil
}

// userError maps a user-store error to IAM's error codes.
func userError(err error) error {
	var code string
	var status int
	switch {
	case errors.Is(err, users.ErrNotFound):
		code, status = "NoSuchEntity", http.StatusNotFound
	case errors.Is(err, users.ErrExists):
		code, status = "EntityAlreadyExists", http.StatusConflict
	case errors.Is(err, users.ErrInUse):
		code, status = "DeleteConflict", http.StatusConflict
	case errors.Is(err, policy.ErrMalformed):
		return s3err.Newf(s3err.MalformedPolicy, "%v", err)
	case errors.Is(err, users.ErrInvalid):
		code, status = "InvalidInput", http.StatusBadRequest
	default:
		return err
	}
	return &s3err.Error{Code: code, Status: status, Message: err.Error(), Err: err}
}

// need returns query parameter name, or an InvalidRequest naming it.
func (r *request) need(name string) (string, error) {
	v := r.queryValue(name)
	if v == "" {
		return "", s3err.Newf(s3err.InvalidRequest, "Missing query parameter %q.", name)
	}
	return v, nil
}

func (r *request) adminKeyStatus() error {
	status, err := r.need("status")
	if err != nil {
		return err
	}
	if status != users.StatusActive && status != users.StatusInactive {
		return s3err.Newf(s3err.InvalidRequest, "status must be %s or %s.", users.StatusActive, users.StatusInactive)
	}
	return userCall(func(r *request, st *users.Store, a []string) (any, error) {
		return nil, st.SetKeyStatus(r.cx, a[0], status == users.StatusActive)
	}, "accessKey")(r)
}

// adminPutPolicy stores the body as named policy P.
func adminPutPolicy(r *request, st *users.Store, a []string) (any, error) {
	doc, err := r.readSmallBody(maxIdentityPolicySize)
	if err != nil {
		return nil, err
	}
	return map[string]string{"policy": a[0]}, st.PutPolicy(r.cx, a[0], doc)
}

// listOrGet answers GET users and GET groups: the one named by ?name=,
// or all of them.
func listOrGet(get func(*users.Store, string) (any, error), all func(*users.Store) any) func(*request) error {
	return userCall(func(r *request, st *users.Store, _ []string) (any, error) {
		if name := r.queryValue("name"); name != "" {
			return get(st, name)
		}
		return all(st), nil
	})
}
