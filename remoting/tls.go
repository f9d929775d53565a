package remoting

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
)

// TLSMode is Apache's tls.server.mode: how a server port treats TLS.
type TLSMode int

// TLS modes.
const (
	// TLSDisabled serves plain connections only (Apache: disabled).
	TLSDisabled TLSMode = iota
	// TLSPermissive serves TLS and plain on one port, told apart by the first byte: 0x16
	// starts a TLS handshake record (Apache: permissive).
	TLSPermissive
	// TLSEnforcing serves TLS only; a plain client's connection fails its handshake and is
	// closed (Apache: enforcing).
	TLSEnforcing
)

// tlsHandshakeRecord is the first byte of a TLS ClientHello record.
const tlsHandshakeRecord = 0x16

// ParseTLSMode reads "disabled", "permissive" or "enforcing" ("" is disabled).
func ParseTLSMode(s string) (TLSMode, error) {
	switch s {
	case "", "disabled":
		return TLSDisabled, nil
	case "permissive":
		return TLSPermissive, nil
	case "enforcing":
		return TLSEnforcing, nil
	}
	return TLSDisabled, fmt.Errorf("remoting: tls mode %q: want disabled, permissive or enforcing", s)
}

// ServerTLS builds the server side of TLS from Apache's settings: a PEM certificate chain
// and key, whether clients must present a certificate (needClientAuth none|optional|
// require) and the CA file their certificates are checked against. Encrypted keys
// (keyPassword) are not supported.
func ServerTLS(certPath, keyPath, keyPassword, needClientAuth, trustCertPath string) (*tls.Config, error) {
	if keyPassword != "" {
		return nil, errors.New("remoting: tlsServerKeyPassword: encrypted keys are not supported (decrypt the key with openssl pkcs8)")
	}
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("remoting: tls certificate: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	switch needClientAuth {
	case "", "none":
		cfg.ClientAuth = tls.NoClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	case "require":
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	default:
		return nil, fmt.Errorf("remoting: tlsServerNeedClientAuth %q: want none, optional or require", needClientAuth)
	}
	if trustCertPath != "" {
		pool, err := certPool(trustCertPath)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
	} else if cfg.ClientAuth != tls.NoClientCert {
		return nil, errors.New("remoting: tlsServerNeedClientAuth needs tlsServerTrustCertPath")
	}
	return cfg, nil
}

// ClientTLS builds the client side of TLS: the server is verified against the CA file
// trustCertPath, or not verified at all when it is empty (what Apache's default test mode
// and the Go client do); certPath/keyPath, when set, are the client's certificate.
func ClientTLS(trustCertPath, certPath, keyPath string) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if trustCertPath == "" {
		cfg.InsecureSkipVerify = true
	} else {
		pool, err := certPool(trustCertPath)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if certPath != "" || keyPath != "" {
		cert, err := tls.LoadX509KeyPair(certPath, keyPath)
		if err != nil {
			return nil, fmt.Errorf("remoting: tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

func certPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("remoting: tls trust certificates: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("remoting: tls trust certificates: no PEM certificate in %s", path)
	}
	return pool, nil
}

// wrapTLS applies the server's TLS mode to an accepted connection. The handshake happens
// on the connection's first read, in its read loop, never in the accept loop.
func (s *Server) wrapTLS(nc net.Conn) net.Conn {
	if s.tls == nil {
		return nc
	}
	switch s.tlsMode {
	case TLSEnforcing:
		return tls.Server(nc, s.tls)
	case TLSPermissive:
		return &sniffConn{Conn: nc, cfg: s.tls}
	}
	return nc
}

// sniffConn decides on its first read whether the peer speaks TLS (first byte 0x16) or
// plain remoting, then reads and writes through a tls.Conn or the raw connection. The
// server writes nothing before the peer's first request, so no write races the decision.
type sniffConn struct {
	net.Conn // the raw connection: addresses, deadlines, Close
	cfg      *tls.Config
	once     sync.Once
	rw       io.ReadWriter
	err      error
}

func (c *sniffConn) sniff() {
	var b [1]byte
	if _, err := io.ReadFull(c.Conn, b[:]); err != nil {
		c.err = err
		return
	}
	pc := &prefixConn{Conn: c.Conn, prefix: b[:]}
	if b[0] == tlsHandshakeRecord {
		c.rw = tls.Server(pc, c.cfg)
		return
	}
	c.rw = pc
}

func (c *sniffConn) Read(p []byte) (int, error) {
	c.once.Do(c.sniff)
	if c.err != nil {
		return 0, c.err
	}
	return c.rw.Read(p)
}

func (c *sniffConn) Write(p []byte) (int, error) {
	c.once.Do(c.sniff)
	if c.err != nil {
		return 0, c.err
	}
	return c.rw.Write(p)
}

// prefixConn returns prefix before reading from Conn.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// isTLSHandshakeError reports whether err ended a connection before its TLS handshake
// completed (a plain client on an enforcing port, a bad certificate).
func isTLSHandshakeError(err error) bool {
	var rh tls.RecordHeaderError
	var ae tls.AlertError
	var ce *tls.CertificateVerificationError
	return errors.As(err, &rh) || errors.As(err, &ae) || errors.As(err, &ce)
}

// dialTLS runs the client handshake on nc within ctx.
func dialTLS(ctx context.Context, nc net.Conn, cfg *tls.Config, addr string) (net.Conn, error) {
	cfg = cfg.Clone()
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("remoting: tls handshake with %s: %w", addr, err)
	}
	return tc, nil
}
