;;; llm-native-start-test.el --- ERT tests of the request start path  -*- lexical-binding: t; -*-

;;; Commentary:

;; What the start path of `llm-chat-streaming' keeps correct while it does
;; less: the request body the module builds from the canonical prompt (a
;; streamed chat asks for a stream, a plain one does not), the remembered
;; model-registry lookups, and the secrets masked in error messages, which
;; are now picked from the headers only when a message needs them.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native-test-util)
(require 'llm-native)
;; Loading llm (the real one, or the stand-in in tests/llm-stand-in) attaches the integration.
(require 'llm)

(defvar llm-warn-on-nonfree)

(defun llm-native-start-test--chat (provider streaming)
  "Chat with PROVIDER, STREAMING or not, and wait for the end.
Return (:result R :error E)."
  (let ((llm-warn-on-nonfree nil))
    (llm-native-test-chat provider (llm-make-chat-prompt "Hi") streaming)))

(ert-deftest llm-native-start-body-built-from-the-prompt ()
  "The body the module builds asks for a stream exactly when the chat streams."
  (let* ((stream (llm-native-test-scenario (list :fixture "openai-chat/text-usage.sse")))
         (whole (llm-native-test-scenario (list :body (concat "{\"choices\": [{\"index\": 0, \"message\": "
                                                  "{\"role\": \"assistant\", \"content\": \"Hello\"}, "
                                                  "\"finish_reason\": \"stop\"}]}"))))
         (body (lambda (base)
                 (json-parse-string (alist-get 'body (car (llm-native-test-requests base)))
                                    :object-type 'alist :false-object nil))))
    (should (plist-get (llm-native-start-test--chat
                        (make-llm-openai-compatible :url (concat stream "/v1/") :key "k"
                                                    :chat-model "test-model")
                        t)
                       :result))
    (should (plist-get (llm-native-start-test--chat
                        (make-llm-openai-compatible :url (concat whole "/v1/") :key "k"
                                                    :chat-model "test-model")
                        nil)
                       :result))
    (let ((streamed (funcall body stream)) (plain (funcall body whole)))
      (should (eq (alist-get 'stream streamed) t))
      (should-not (alist-get 'stream plain))
      (should (equal (alist-get 'model streamed) "test-model"))
      (should (equal (alist-get 'content (aref (alist-get 'messages streamed) 0)) "Hi")))))

(ert-deftest llm-native-start-error-message-redacts-key ()
  "A provider error that echoes the key reaches the caller with the key masked.
The secrets are picked from the request headers only when a message
needs them, so this is the check that they still are."
  (let* ((base (llm-native-test-scenario
                (list :status 401 :content_type "application/json"
                      :body "{\"error\": {\"message\": \"Incorrect API key: sk-echo-42\"}}")))
         (provider (make-llm-openai-compatible :url (concat base "/v1/") :key "sk-echo-42"
                                               :chat-model "test-model"))
         (err (plist-get (llm-native-start-test--chat provider t) :error)))
    (should (eq (car err) 'llm-request-authentication-error))
    (should (string-search "Incorrect API key: <redacted>" (cadr err)))
    (should-not (string-search "sk-echo-42" (cadr err)))))

(ert-deftest llm-native-start-model-lookups-remembered-correctly ()
  "The start path's memory of `llm-models-match' answers as it does, model by model.
A model added to the registry afterwards is found: adding one makes a
new list, which empties the memory."
  (let ((names '("gemini-2.5-pro" "gemini-2.0-flash" "claude-sonnet-4-5" "gpt-4o-mini"
                 "no-such-model" "gemini-2.5-pro" "no-such-model" "gpt-4o-mini")))
    (dolist (name names)
      (should (eq (llm-native--model-entry name) (llm-models-match name)))))
  (let ((llm-models llm-models))
    (should-not (llm-native--model-entry "my native model"))
    (llm-models-add :name "My Native Model" :symbol 'my-native-model
                    :capabilities '(generation reasoning) :regex "my native model")
    (should (equal (llm-native--model-capabilities "my native model") '(generation reasoning))))
  (should-not (llm-native--model-entry "my native model"))
  (should-not (llm-native--model-entry nil)))

(provide 'llm-native-start-test)
;;; llm-native-start-test.el ends here
