package broker

import (
	"crypto/tls"
	"fmt"

	"github.com/mq-project/mq/remoting"
)

// serverTLS is the remoting port's TLS (tlsServerMode and the tlsServer* keys); nil when
// disabled.
func (c Config) serverTLS() (*tls.Config, remoting.TLSMode, error) {
	mode, err := remoting.ParseTLSMode(c.TlsServerMode)
	if err != nil || mode == remoting.TLSDisabled {
		return nil, mode, err
	}
	cfg, err := remoting.ServerTLS(c.TlsServerCertPath, c.TlsServerKeyPath, c.TlsServerKeyPassword,
		c.TlsServerNeedClientAuth, c.TlsServerTrustCertPath)
	if err != nil {
		return nil, mode, fmt.Errorf("broker: tlsServerMode=%s: %w", c.TlsServerMode, err)
	}
	return cfg, mode, nil
}

// clientTLS is the TLS of the broker's own connections (tlsEnable); nil when off.
func (c Config) clientTLS() (*tls.Config, error) {
	if !c.TlsEnable {
		return nil, nil
	}
	cfg, err := remoting.ClientTLS(c.TlsClientTrustCertPath, c.TlsClientCertPath, c.TlsClientKeyPath)
	if err != nil {
		return nil, fmt.Errorf("broker: tlsEnable: %w", err)
	}
	return cfg, nil
}
