;;; llm-native-models.el --- Model lists of the llm API on the native engine  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; `llm-models' for the providers whose server lists its models, asked
;; natively: the URL is llm's where it builds one, else derived from the
;; chat URL as the provider table says.

;;; Code:

(require 'llm-native-providers)            ; and cl-lib, subr-x, llm
(llm-native--compile-without-llm)
(require 'llm-native-results)

(defvar llm-request-plz-connect-timeout)
(defvar llm-request-plz-timeout)

(defun llm-native--derive-url (url regexp replacement default)
  "Return URL without its query, REGEXP replaced by REPLACEMENT; else DEFAULT.
DEFAULT is used when REGEXP does not match."
  (let ((bare (car (split-string url "[?#]"))))
    (if (string-match regexp bare)
        (replace-match replacement t t bare)
      default)))

(defun llm-native--openai-models-url (provider)
  "Return the URL listing the OpenAI family PROVIDER's models: llm's own."
  (condition-case nil
      (llm-openai--url provider "models")
    ;; GPT4All and llama.cpp have no `url' slot: their server's OpenAI root.
    (error (llm-native--derive-url
            (llm-native--provider-value provider "chat URL" #'llm-provider-chat-url)
            "chat/completions\\'" "models" nil))))

(defun llm-native--models-url (provider)
  "Return the URL listing PROVIDER's models, where llm lists them.
The table's :models-url is a function of PROVIDER, or (REGEXP
REPLACEMENT DEFAULT): the chat URL with REGEXP replaced, so that a
subclass's own server is asked, else DEFAULT (a string, or a function
of PROVIDER)."
  (let ((spec (llm-native--provider-get provider :models-url)))
    (if (functionp spec)
        (funcall spec provider)
      (pcase-let ((`(,regexp ,replacement ,default) spec))
        (llm-native--derive-url
         (llm-native--provider-value provider "chat URL" #'llm-provider-chat-url)
         regexp replacement (if (functionp default) (funcall default provider) default))))))

(cl-defmethod llm-models ((provider (llm-native)))
  "Return the names of the models PROVIDER's server lists, asked natively.
Types llm lists no models for keep llm's own method."
  (let ((format (llm-native--provider-get provider :models)))
    (if (null format)
        (cl-call-next-method)
      (let* ((endpoint (llm-native--endpoint provider 'models))
             (response
              (condition-case err
                  (llm-native-request-sync
                   :url (plist-get endpoint :url) :method "GET"
                   :headers (plist-get endpoint :headers) :format 'json
                   :connect-timeout (if (boundp 'llm-request-plz-connect-timeout)
                                        llm-request-plz-connect-timeout
                                      llm-native-connect-timeout)
                   :timeout (if (boundp 'llm-request-plz-timeout)
                                llm-request-plz-timeout
                              llm-native-timeout))
                (llm-native-error
                 (llm-native--signal-llm-error (car err) (cadr err) (cddr err)))))
             (object (car (plist-get response :records)))
             (models (and (consp object) (alist-get (car format) object))))
        (unless (vectorp models)
          (signal 'llm-request-error
                  (list (format "No model list in the answer of %s"
                                (car (split-string (plist-get endpoint :url) "[?#]"))))))
        (mapcar (lambda (model) (and (consp model) (alist-get (cdr format) model)))
                models)))))

(provide 'llm-native-models)
;;; llm-native-models.el ends here
