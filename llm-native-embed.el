;;; llm-native-embed.el --- Embeddings of the llm API on the native engine  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; `llm-embedding', `llm-batch-embeddings' and their async forms for the
;; providers llm-native serves: the request object and the vectors' place
;; in the answer come from the provider table.

;;; Code:

(require 'llm-native-providers)            ; and cl-lib, subr-x, llm
(llm-native--compile-without-llm)
(require 'llm-native-results)

(defun llm-native--embedding-body (provider input)
  "Return the embedding request object of PROVIDER for INPUT (string or list)."
  (let ((shape (or (llm-native--provider-get provider :embedding)
                   (signal 'llm-not-supported
                           (list (format "llm-native has no embeddings for %s"
                                         (type-of provider)))))))
    (funcall (car shape) provider input)))

(defun llm-native--embedding-vectors (provider response)
  "Return the list of embedding vectors in PROVIDER's parsed RESPONSE."
  (funcall (cadr (llm-native--provider-get provider :embedding)) response))

(defun llm-native--serve-embedding (provider input batch vector-callback error-callback)
  "Start embedding INPUT with PROVIDER and return the handle.
With BATCH, VECTOR-CALLBACK gets the list of vectors, else one vector.
ERROR-CALLBACK gets an llm error symbol and a message."
  (let* ((endpoint (llm-native--endpoint provider (if batch 'batch-embed 'embed)))
         (records nil)
         (finished nil)
         (handle nil))
    (setq handle
          (llm-native--with-llm-errors
           (llm-native-request
           :method "POST"
           :url (plist-get endpoint :url)
           :headers (cons '("Content-Type" . "application/json") (plist-get endpoint :headers))
           :body (llm-native--serialize (llm-native--embedding-body provider input))
           :format 'json
           :on-record (lambda (record) (push record records))
           :on-done
           (lambda (_info)
             (unless (or finished (gethash handle llm-native--cancelled-handles))
               (setq finished t)
               (let* ((response (car records))
                      (err (and (consp response) (alist-get 'error response)))
                      (message (cond ((stringp err) err)
                                     ((consp err) (or (alist-get 'message err)
                                                      (format "%S" err)))))
                      ;; An answer of another shape is an error, not a failed callback.
                      (vectors (and (null message)
                                    (ignore-errors
                                      (llm-native--embedding-vectors provider response)))))
                 ;; The runtime runs this in the caller's buffer already.
                 (cond (message (funcall error-callback 'llm-request-error message))
                       ((not (and (consp vectors) (cl-every #'vectorp vectors)))
                        (funcall error-callback 'llm-request-error
                                 "No embedding in the provider's response"))
                       (t (funcall vector-callback (if batch vectors (car vectors))))))))
           :on-error
           (lambda (symbol message info)
             (unless (or finished (gethash handle llm-native--cancelled-handles))
               (setq finished t)
               (funcall error-callback (llm-native--llm-error-symbol symbol info)
                        (or (llm-native--body-error-text (plist-get info :body)) message)))))))
    handle))

(cl-defmethod llm-embedding ((provider (llm-native)) string)
  "Return the embedding vector of STRING from PROVIDER, waiting for it."
  (llm-native--sync
   (lambda (on-response on-error)
     (llm-native--serve-embedding provider string nil on-response on-error))))

(cl-defmethod llm-embedding-async ((provider (llm-native)) string vector-callback error-callback)
  "Embed STRING with PROVIDER; VECTOR-CALLBACK or ERROR-CALLBACK gets the outcome."
  (llm-native--serve-embedding provider string nil vector-callback error-callback))

(cl-defmethod llm-batch-embeddings ((provider (llm-native)) string-list)
  "Return the list of embedding vectors of STRING-LIST from PROVIDER."
  (llm-native--sync
   (lambda (on-response on-error)
     (llm-native--serve-embedding provider string-list t on-response on-error))))

(cl-defmethod llm-batch-embeddings-async ((provider (llm-native)) string-list
                                          vector-callback error-callback)
  "Embed STRING-LIST with PROVIDER; VECTOR-CALLBACK gets the list of vectors.
ERROR-CALLBACK gets an llm error symbol and a message."
  (llm-native--serve-embedding provider string-list t vector-callback error-callback))

(provide 'llm-native-embed)
;;; llm-native-embed.el ends here
