// Command edge-certs keeps the edge's TLS certificates renewed.
package main

import (
	"log"
	"net/http"

	"golang.org/x/crypto/acme/autocert"
)

func main() {
	m := &autocert.Manager{Prompt: autocert.AcceptTOS, Cache: autocert.DirCache("certs"), HostPolicy: autocert.HostWhitelist("edge.acme.example")}
	log.Fatal(http.Serve(m.Listener(), http.NotFoundHandler()))
}
