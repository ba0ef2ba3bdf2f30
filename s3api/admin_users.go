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
// policy documents; answers are JSON.
//
//	POST   users?name=N                  create N and its first key → users.Created (the secret, once)
//	GET    users[?name=N]                list users (or one) with their keys, never secrets
//	DELETE users?name=N                  delete N and its keys
//	POST   keys?user=N                   another key for N → users.Created
//	PATCH  keys?accessKey=K&status=S     S = Active | Inactive
//	DELETE keys?accessKey=K              delete a key
//	GET    policies                      named policies: {name: document}
//	PUT    policies?name=P               create or replace P (body: the document)
//	DELETE policies?name=P               delete P (refused while attached)
//	POST   users/policies?user=N&policy=P  attach P to N
//	DELETE users/policies?user=N&policy=P  detach P from N
var userAdminRoutes = []adminRoute{
	{http.MethodPost, "users", (*request).adminCreateUser},
	{http.MethodGet, "users", (*request).adminListUsers},
	{http.MethodDelete, "users", (*request).adminDeleteUser},
	{http.MethodPost, "keys", (*request).adminCreateKey},
	{http.MethodPatch, "keys", (*request).adminKeyStatus},
	{http.MethodDelete, "keys", (*request).adminDeleteKey},
	{http.MethodGet, "policies", (*request).adminListPolicies},
	{http.MethodPut, "policies", (*request).adminPutPolicy},
	{http.MethodDelete, "policies", (*request).adminDeletePolicy},
	{http.MethodPost, "users/policies", (*request).adminAttach},
	{http.MethodDelete, "users/policies", (*request).adminDetach},
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

func (r *request) adminCreateUser() error {
	st, err := r.userStore()
	if err != nil {
		return err
	}
	name, err := r.need("name")
	if err != nil {
		return err
	}
	c, err := st.CreateUser(r.cx, name)
	if err != nil {
		return userError(err)
	}
	return r.writeJSON(http.StatusOK, c)
}

func (r *request) adminListUsers() error {
	st, err := r.userStore()
	if err != nil {
		return err
	}
	if name := r.queryValue("name"); name != "" {
		u, err := st.Get(name)
		if err != nil {
			return userError(err)
		}
		return r.writeJSON(http.StatusOK, u)
	}
	return r.writeJSON(http.StatusOK, st.List())
}

func (r *request) adminDeleteUser() error {
	return r.userOp("name", func(st *users.Store, name string) error { return st.DeleteUser(r.cx, name) })
}

func (r *request) adminCreateKey() error {
	st, err := r.userStore()
	if err != nil {
		return err
	}
	name, err := r.need("user")
	if err != nil {
		return err
	}
	c, err := st.CreateKey(r.cx, name)
	if err != nil {
		return userError(err)
	}
	return r.writeJSON(http.StatusOK, c)
}

func (r *request) adminKeyStatus() error {
	status, err := r.need("status")
	if err != nil {
		return err
	}
	if status != users.StatusActive && status != users.StatusInactive {
		return s3err.Newf(s3err.InvalidRequest, "status must be %s or %s.", users.StatusActive, users.StatusInactive)
	}
	return r.userOp("accessKey", func(st *users.Store, ak string) error {
		return st.SetKeyStatus(r.cx, ak, status == users.StatusActive)
	})
}

func (r *request) adminDeleteKey() error {
	return r.userOp("accessKey", func(st *users.Store, ak string) error { return st.DeleteKey(r.cx, ak) })
}

func (r *request) adminListPolicies() error {
	st, err := r.userStore()
	if err != nil {
		return err
	}
	return r.writeJSON(http.StatusOK, st.Policies())
}

func (r *request) adminPutPolicy() error {
	st, err := r.userStore()
	if err != nil {
		return err
	}
	name, err := r.need("name")
	if err != nil {
		return err
	}
	doc, err := r.readSmallBody(maxIdentityPolicySize)
	if err != nil {
		return err
	}
	if err := st.PutPolicy(r.cx, name, doc); err != nil {
		return userError(err)
	}
	return r.writeJSON(http.StatusOK, map[string]string{"policy": name})
}

func (r *request) adminDeletePolicy() error {
	return r.userOp("name", func(st *users.Store, name string) error { return st.DeletePolicy(r.cx, name) })
}

func (r *request) adminAttach() error {
	p, err := r.need("policy")
	if err != nil {
		return err
	}
	return r.userOp("user", func(st *users.Store, u string) error { return st.Attach(r.cx, u, p) })
}

func (r *request) adminDetach() error {
	p, err := r.need("policy")
	if err != nil {
		return err
	}
	return r.userOp("user", func(st *users.Store, u string) error { return st.Detach(r.cx, u, p) })
}

// userOp runs a store call on query parameter param and answers {} on
// success.
func (r *request) userOp(param string, op func(*users.Store, string) error) error {
	st, err := r.userStore()
	if err != nil {
		return err
	}
	v, err := r.need(param)
	if err != nil {
		return err
	}
	if err := op(st, v); err != nil {
		return userError(err)
	}
	return r.writeJSON(http.StatusOK, struct{}{})
}
