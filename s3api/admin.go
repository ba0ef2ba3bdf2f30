package s3api

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/tasmaniancloud/rustfs/iam"
	"github.com/tasmaniancloud/rustfs/maint"
	"github.com/tasmaniancloud/rustfs/s3err"
)

// AdminPrefix is the path prefix of the admin API (docs/DURABILITY.md).
// Requests under it are admin requests, never object requests.
const AdminPrefix = "/rustfs/admin/v1/"

// Maintenance is what the admin API's heal and status endpoints drive;
// *maint.Scheduler implements it.
type Maintenance interface {
	StartPass(deep bool, reason string) (maint.Progress, bool)
	Progress() (maint.Progress, bool)
	Status() maint.Status
}

// adminRoute is one admin endpoint: method and path below AdminPrefix.
// Later endpoints (users, keys, policies) are added to adminRoutes.
type adminRoute struct {
	method, path string
	handler      func(*request) error
}

// adminRoutes lists every admin endpoint.
var adminRoutes = []adminRoute{
	{http.MethodPost, "heal", (*request).adminStartHeal},
	{http.MethodGet, "heal", (*request).adminHealProgress},
	{http.MethodGet, "status", (*request).adminStatus},
}

// isAdmin reports whether r addresses the admin API.
func (s *Server) isAdmin(r *request) bool {
	return strings.HasPrefix(r.rawPath, AdminPrefix) && s.hostBucket(r.host) == ""
}

// serveAdmin answers an authenticated admin request: root only, and
// never through a presigned URL — a URL that could sit in a log or a
// browser history must not carry an admin call, and presigned requests
// are exempt from the replay cache (replay.go).
func (s *Server) serveAdmin(r *request) string {
	if r.ident.Account != iam.RootAccount {
		r.writeError(s3err.Newf(s3err.AccessDenied, "The admin API needs the root credentials."))
		return "Admin"
	}
	if r.ident.Presigned {
		r.writeError(s3err.Newf(s3err.AccessDenied, "The admin API does not accept presigned URLs."))
		return "Admin"
	}
	path := strings.TrimPrefix(r.rawPath, AdminPrefix)
	found := false
	for _, rt := range append(adminRoutes[:len(adminRoutes):len(adminRoutes)], userAdminRoutes...) {
		if rt.path != path {
			continue
		}
		found = true
		if rt.method == r.method {
			if err := rt.handler(r); err != nil {
				r.writeError(err)
			}
			return "Admin"
		}
	}
	if found {
		r.writeError(s3err.New(s3err.MethodNotAllowed))
	} else {
		r.writeError(s3err.Newf(s3err.InvalidRequest, "No admin endpoint %s.", r.rawPath))
	}
	return "Admin"
}

// writeJSON sends v as a JSON document with status.
func (r *request) writeJSON(status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	r.ctx.SetStatusCode(status)
	r.ctx.SetContentType("application/json")
	r.ctx.SetBody(append(b, '\n'))
	return nil
}

// maint returns the maintenance service or NotImplemented.
func (r *request) maint() (Maintenance, error) {
	if r.s.o.Maint == nil {
		return nil, s3err.Newf(s3err.NotImplemented, "This server runs no maintenance scheduler.")
	}
	return r.s.o.Maint, nil
}

// adminStartHeal starts a full deep pass (or reports the running one).
func (r *request) adminStartHeal() error {
	m, err := r.maint()
	if err != nil {
		return err
	}
	pr, _ := m.StartPass(true, "admin")
	return r.writeJSON(http.StatusAccepted, pr)
}

// adminHealProgress reports the running or last pass.
func (r *request) adminHealProgress() error {
	m, err := r.maint()
	if err != nil {
		return err
	}
	pr, ok := m.Progress()
	if !ok {
		return s3err.Newf(s3err.InvalidRequest, "No heal pass has run yet.")
	}
	return r.writeJSON(http.StatusOK, pr)
}

// adminStatus reports OSD states, redundancy, GC and heal totals.
func (r *request) adminStatus() error {
	m, err := r.maint()
	if err != nil {
		return err
	}
	return r.writeJSON(http.StatusOK, m.Status())
}

// readyBody is /health/ready's body: "ready", or which OSDs are down when
// the server serves degraded (the status stays 200 while it can serve).
func (s *Server) readyBody() string {
	if s.o.Maint == nil {
		return "ready\n"
	}
	var down []string
	for _, o := range s.o.Maint.Status().OSDs {
		if o.State != "up" {
			down = append(down, o.ID+" "+o.State)
		}
	}
	if len(down) == 0 {
		return "ready\n"
	}
	return "ready, degraded: " + strconv.Itoa(len(down)) + " OSDs not up (" + strings.Join(down, ", ") + ")\n"
}
