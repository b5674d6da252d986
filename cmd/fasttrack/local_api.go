package main

import (
	"log/slog"
	"net/http"
	"path/filepath"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/config"
	"github.com/fasttrack/fasttrack/shared/seed"
	"github.com/fasttrack/fasttrack/shared/store"
)

// openLocalIssuer opens the local token issuer, whose key lives under the data directory (made
// at the first start, mode 0600), so that tokens stay valid across restarts.
func openLocalIssuer(dataDir string) (*auth.Issuer, error) {
	return auth.OpenIssuer(filepath.Join(dataDir, "auth"))
}

// demoUser finds a demo account of shared/seed by its id.
func demoUser(name string) (auth.User, bool) {
	for _, account := range seed.DemoUsers() {
		if account.ID == name {
			return auth.FromAccount(account), true
		}
	}
	return auth.User{}, false
}

// localAPIHandler is what `fasttrack local` serves on its address: the API, the local issuer's
// key set at /.well-known/jwks.json, and POST /local/token for the demo users (loopback callers
// only). The API verifies tokens with the same Verifier it uses on AWS; only the key source
// differs (the issuer's own public key here, Cognito's JWKS URL there), which spares the process
// an HTTP call to itself.
func localAPIHandler(st *store.Store, workflow api.Workflow, issuer *auth.Issuer, rules *config.Config, stateMachineARN string, logger *slog.Logger) (http.Handler, error) {
	verifier, err := auth.NewVerifier(auth.VerifierConfig{Issuer: issuer.Name(), Audience: issuer.Audience(), Keys: issuer.KeySet()})
	if err != nil {
		return nil, err
	}
	server, err := api.New(api.StoreDependencies(st, workflow), verifier, api.Options{StateMachineARN: stateMachineARN, Config: rules, Logger: logger})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/.well-known/jwks.json", issuer.JWKSHandler())
	mux.Handle("/local/token", issuer.TokenHandler(demoUser))
	mux.Handle("/", server)
	return mux, nil
}
