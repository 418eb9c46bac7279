;;; llm-native-tester-test.el --- ERT tests of the provider tester  -*- lexical-binding: t; -*-

;;; Commentary:

;; `llm-native-test-provider' against the fake server: its return value and
;; its table with passing, failing and skipped checks, and that a key never
;; shows in either.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'llm-native)
;; Loading llm (the real one, or the stand-in in tests/llm-stand-in) attaches the integration.
(require 'llm)
(require 'llm-native-test-util)
(require 'llm-native-tester)

(setq llm-warn-on-nonfree nil)

(defun llm-native-tester-test--provider (scenario &rest slots)
  "An OpenAI-compatible provider aimed at SCENARIO, with extra SLOTS."
  (setq llm-native-url-overrides
        (list (cons 'llm-openai-compatible (llm-native-test-scenario scenario))))
  (apply #'make-llm-openai-compatible :url "http://unused.invalid/v1/" :key "oc-secret-key"
         :chat-model "test-model" slots))

(defun llm-native-tester-test--table ()
  "The text of `*llm-native-test*'."
  (with-current-buffer "*llm-native-test*" (buffer-string)))

(ert-deftest llm-native-tester-pass-fail-skip ()
  "A streaming server: chat (a stream answering a whole request), streaming and cancel pass.
The checks the provider has no capability for are skipped."
  (let* ((llm-native-url-overrides nil)
         (provider (llm-native-tester-test--provider
                    '(:generate (:dialect "openai-chat" :tokens 40 :interval_ms 20))))
         (results (llm-native-test-provider provider)))
    (should (equal (mapcar (lambda (r) (list (nth 0 r) (nth 1 r))) results)
                   '((chat pass) (streaming pass) (multi-output pass) (tools skip)
                     (tools-streaming skip) (json-schema skip) (embeddings skip) (cancel pass))))
    (dolist (r results)
      (should (= (length r) 4))
      (if (eq (nth 1 r) 'skip) (should-not (nth 2 r)) (should (numberp (nth 2 r)))))
    (should (equal (nth 3 (assq 'tools results)) "no tool-use capability"))
    (should (equal (nth 3 (assq 'cancel results)) "no callback after cancel"))
    (let ((table (llm-native-tester-test--table)))
      (should (string-match-p "^Check +Status +Seconds +TTFT +Tok/s +Detail$" table))
      ;; Streaming has a time to first token and a rate.
      (should (string-match-p "^streaming +pass +[0-9.]+ +[0-9.]+ +[0-9]+  " table))
      (should (string-match-p "^chat +pass +[0-9.]+ " table))
      (should (string-match-p "^embeddings +skip +- +- +- +no embeddings capability$" table))
      (should-not (string-search "oc-secret-key" table)))))

(ert-deftest llm-native-tester-embeddings-and-key-masked ()
  "A passing embedding check, and a provider error that quotes the key, masked."
  (let* ((llm-native-url-overrides nil)
         (provider (llm-native-tester-test--provider
                    '(:body "{\"data\":[{\"index\":0,\"embedding\":[0.5,0.25,0.125]}]}")
                    :embedding-model "embed")))
    (pcase-let ((`((,check ,status ,seconds ,detail)) (llm-native-test-provider provider '(embeddings))))
      (should (equal (list check status detail) '(embeddings pass "3 dimensions")))
      (should (numberp seconds))))
  (let* ((llm-native-url-overrides nil)
         (provider (llm-native-tester-test--provider
                    '(:status 401 :body "{\"error\":{\"message\":\"Incorrect API key provided: oc-secret-key\"}}")))
         (results (llm-native-test-provider provider '(chat streaming))))
    (should (equal (mapcar #'cadr results) '(fail fail)))
    (dolist (r results)
      (should (string-match-p "llm-request-authentication-error" (nth 3 r)))
      (should-not (string-search "oc-secret-key" (nth 3 r))))
    (should-not (string-search "oc-secret-key" (llm-native-tester-test--table)))))

(provide 'llm-native-tester-test)
;;; llm-native-tester-test.el ends here
