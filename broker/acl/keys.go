package acl

// StartOnlyKeys are the configuration keys of ACL, credentials, audit and TLS. They are
// read at start from the properties file only: UPDATE_BROKER_CONFIG and
// UPDATE_NAMESRV_CONFIG refuse them, so an admin request cannot switch checks off or
// redirect the accounts file.
var StartOnlyKeys = map[string]bool{
	"aclEnable": true, "aclConfigFile": true, "accessKey": true, "secretKey": true, "auditLogPath": true,
	"tlsServerMode": true, "tlsServerCertPath": true, "tlsServerKeyPath": true, "tlsServerKeyPassword": true,
	"tlsServerNeedClientAuth": true, "tlsServerTrustCertPath": true, "tlsEnable": true,
	"tlsClientTrustCertPath": true, "tlsClientCertPath": true, "tlsClientKeyPath": true,
}
