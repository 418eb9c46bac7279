;;; llm-native-azure-test.el --- ERT tests of the Azure family's provider entry  -*- lexical-binding: t; -*-

;;; Commentary:

;; Azure OpenAI (`llm-azure') and GitHub Models (`llm-github', an Azure
;; subtype) have their own provider table entry (doc/adding-a-provider.md,
;; the walkthrough): the OpenAI-compatible family's, plus a key without
;; which nothing is sent.  llm builds an "api-key" header without a value
;; when the key is missing, and a request would go out with no credential.
;; Runs on the stand-in or beside the real llm.

;;; Code:

(require 'ert)
(require 'json)
(require 'llm-native)
(require 'llm)
(require 'llm-azure)
(require 'llm-github)
(require 'llm-native-test-util)

(setq llm-warn-on-nonfree nil)

(defconst llm-native-azure-test--answer
  (decode-coding-string
   (json-serialize
    '((choices . [((index . 0) (message . ((role . "assistant") (content . "azure says hi")))
                   (finish_reason . "stop"))])))
   'utf-8)
  "A non-streaming Chat Completions answer.")

(ert-deftest llm-native-azure-entry ()
  "The Azure family is served with the OpenAI-compatible dialect and needs a key."
  (let ((azure (make-llm-azure :url "http://127.0.0.1:9" :key "k" :chat-model "gpt")))
    (should (equal (llm-native--dialect azure) "openai-chat"))
    (should (llm-native--provider-get azure :system-role))
    ;; GitHub Models includes Azure: the Azure entry serves it.
    (should (eq (llm-native--provider (make-llm-github :key "k" :chat-model "gpt"))
                (llm-native--provider azure)))))

(ert-deftest llm-native-azure-no-key-no-request ()
  "Without a key, chat and embeddings fail as unconfigured and send nothing."
  (let* ((base (llm-native-test-scenario (list :body llm-native-azure-test--answer)))
         (prompt (llm-make-chat-prompt "hi")))
    (dolist (provider (list (make-llm-azure :url base :chat-model "gpt" :embedding-model "e")
                            (make-llm-azure :url base :key "  " :chat-model "gpt")))
      (should-error (llm-chat-async provider prompt #'ignore #'ignore)
                    :type 'llm-provider-unconfigured)
      (should-error (llm-chat provider prompt) :type 'llm-provider-unconfigured))
    (should-error (llm-embedding (make-llm-azure :url base :embedding-model "e") "x")
                  :type 'llm-provider-unconfigured)
    (should-error (llm-chat (make-llm-github :chat-model "gpt") prompt)
                  :type 'llm-provider-unconfigured)
    (should (= 0 (length (llm-native-test-requests base))))))

(ert-deftest llm-native-azure-chat ()
  "With a key, the request carries it in llm's api-key header to llm's URL."
  (let* ((base (llm-native-test-scenario (list :body llm-native-azure-test--answer)))
         (provider (make-llm-azure :url base :key "azure-secret" :chat-model "gpt")))
    (should (equal (llm-chat provider (llm-make-chat-prompt "hi")) "azure says hi"))
    (let ((request (car (last (llm-native-test-requests base)))))
      (should (string-match-p "/openai/deployments/gpt/chat/completions"
                              (alist-get 'path request)))
      (should (equal (alist-get 'api-key (alist-get 'headers request)) "azure-secret"))
      (should (equal (alist-get 'model (json-parse-string (alist-get 'body request)
                                                          :object-type 'alist))
                     "gpt")))))

(provide 'llm-native-azure-test)
;;; llm-native-azure-test.el ends here
