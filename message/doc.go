// Package message holds RocketMQ messages and their byte encodings: the properties string, the
// SEND_BATCH_MESSAGE body, the stored CommitLog record (which is also the PULL/QUERY/VIEW body
// unit), offset and unique message ids, and the Java String.hashCode used for tags and index keys.
// It imports only the standard library.
//
// # Properties string
//
//	NAME \x01 VALUE \x02 NAME \x01 VALUE \x02 ...      (every pair ends with \x02; ≤ 32767 bytes)
//
// # Batch body (one record per message, concatenated)
//
//	+-----------+-----------+-----------+--------+---------+------+----------+------------+
//	| TOTALSIZE | MAGIC = 0 | BODYCRC=0 |  FLAG  | BODYLEN | BODY | PROPSLEN | PROPERTIES |
//	|   int32   |   int32   |   int32   | int32  |  int32  |  n   |  int16   |     m      |
//	+-----------+-----------+-----------+--------+---------+------+----------+------------+
//
// # Stored record (IPv4 hosts, magic V1; IPv6 hosts take 16+4 bytes each)
//
//	 0 TOTALSIZE        int32   whole record
//	 4 MAGICCODE        int32   0xDAA320A7 (V1, 1-byte topic len) / 0xDAA320AB (V2, 2-byte)
//	 8 BODYCRC          int32   CRC32-IEEE(body) & 0x7FFFFFFF
//	12 QUEUEID          int32
//	16 FLAG             int32
//	20 QUEUEOFFSET      int64
//	28 PHYSICALOFFSET   int64
//	36 SYSFLAG          int32   0x1 compressed, 0xC txn type, 0x10/0x20 IPv6 hosts
//	40 BORNTIMESTAMP    int64   ms
//	48 BORNHOST         4+4     ip, port(int32)
//	56 STORETIMESTAMP   int64   ms
//	64 STOREHOST        4+4
//	72 RECONSUMETIMES   int32
//	76 PREPARED_TX_OFF  int64
//	84 BODYLEN          int32
//	88 BODY             BODYLEN
//	   TOPICLEN         int8 (V2: int16)
//	   TOPIC
//	   PROPERTIESLEN    int16
//	   PROPERTIES
//
//	TOTALSIZE = 91 + BODYLEN + TOPICLEN + PROPERTIESLEN   (V1, IPv4)
//
// # Message ids
//
//	offset id: HEX(storeIP 4|16, storePort int32, commitLogOffset int64)      32 or 56 chars
//	unique id: HEX(clientIP 4|16, pid int16, classLoaderHash int32,
//	               ms since month start int32, counter int16)                  32 or 56 chars
//
// Decoders check every length against the input before slicing and never allocate a length
// read from the input; they are fuzzed (FuzzDecodeStored, FuzzDecodeBatch, FuzzDecodeProperties).
package message
