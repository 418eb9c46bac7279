;;; llm-native-errors.el --- Error symbols of llm-native  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;;; Commentary:

;; Every error llm-native reports is a child of `llm-native-error'.  Request
;; failures reach callbacks (or are signalled by synchronous calls) with one of
;; the request error symbols; misuse is signalled at once.

;;; Code:

(define-error 'llm-native-error "llm-native error")

;; A module that is missing, fails to build or load, or has another version is a
;; file error, as `load' and `module-load' report theirs; Emacs then shows the
;; message as written instead of quoted after this error's own text.
(define-error 'llm-native-module-error "llm-native module error"
  '(llm-native-error file-error))
(define-error 'llm-native-version-mismatch "llm-native module version mismatch"
  'llm-native-module-error)
(define-error 'llm-native-closed "llm-native runtime is closed" 'llm-native-error)
(define-error 'llm-native-invalid-spec "Invalid llm-native request" 'llm-native-error)
(define-error 'llm-native-unsupported "Not expressible in the provider's protocol"
  'llm-native-invalid-spec)
(define-error 'llm-native-internal-error "llm-native internal error" 'llm-native-error)

(define-error 'llm-native-request-error "llm-native request failed" 'llm-native-error)
(define-error 'llm-native-connection-error "Connection failed" 'llm-native-request-error)
(define-error 'llm-native-timeout "Request timed out" 'llm-native-request-error)
(define-error 'llm-native-http-error "HTTP error" 'llm-native-request-error)
(define-error 'llm-native-protocol-error "Malformed response" 'llm-native-request-error)
(define-error 'llm-native-too-large "Response record too large" 'llm-native-request-error)
(define-error 'llm-native-truncated "Response truncated" 'llm-native-request-error)
(define-error 'llm-native-provider-error "Provider reported an error" 'llm-native-request-error)
(define-error 'llm-native-cancelled "Request cancelled" 'llm-native-request-error)

(defconst llm-native--error-symbols
  '((connection . llm-native-connection-error)
    (timeout . llm-native-timeout)
    (http . llm-native-http-error)
    (protocol . llm-native-protocol-error)
    (too-large . llm-native-too-large)
    (truncated . llm-native-truncated)
    (provider . llm-native-provider-error)
    (cancelled . llm-native-cancelled)
    (internal . llm-native-internal-error))
  "The module's error codes and the error symbols they map to.")

(provide 'llm-native-errors)
;;; llm-native-errors.el ends here
