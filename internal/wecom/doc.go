// Package wecom speaks the WeCom (企业微信) server protocol for the endpoints Siyu uses: the callback
// crypto (msg_signature, AES-256-CBC with PKCS#7 to 32 bytes, receive id), the callback event
// payloads, the errcode catalogue, and an HTTP client with a shared access-token cache and the
// documented retry rules.
//
// It is protocol only. It must not know about tenants, customers, channels or anything else of
// Siyu's domain, and it must not touch a database: the access-token cache is an interface
// (TokenCache) that the caller backs with whatever is shared between replicas. Domain packages
// translate between these wire types and their own.
//
// Field names follow WeCom's JSON and XML exactly; Go names follow Go conventions (UserID, not
// Userid). Where the public documentation is ambiguous, the code says which reading it chose.
//
// Sources: developer.work.weixin.qq.com — 加解密方案说明 (path 90968/91144), 全局错误码 (90313),
// 客户联系 事件格式 (92130/92277), and the per-endpoint pages named beside each call.
package wecom
