;;; llm-native-compat-test.el --- Tests of llm-native's llm API layer -*- lexical-binding: t -*-

;; Copyright (C) 2026 llm-native developers

;;; Commentary:

;; ERT tests of lisp/compat/, llm-native's implementation of the `llm'
;; public API used when the `llm' package is not installed.  They need no
;; module and no network.  Run with:
;;   emacs -Q --batch -L lisp/compat -L tests/lisp -l ert \
;;     -l llm-native-compat-test -f ert-run-tests-batch-and-exit

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'warnings)
;; These tests are of llm-native's own llm implementation, whatever else is installed.
(add-to-list 'load-path
             (expand-file-name "../llm-stand-in"
                               (file-name-directory (or load-file-name buffer-file-name))))
(require 'llm)
(require 'llm-provider-utils)
(require 'llm-models)
(require 'llm-openai)
(require 'llm-azure)
(require 'llm-github)
(require 'llm-deepseek)
(require 'llm-gpt4all)
(require 'llm-llamacpp)
(require 'llm-ollama)
(require 'llm-claude)
(require 'llm-vertex)
(require 'llm-gemini)
(require 'llm-fake)
(require 'llm-prompt)

(defmacro llm-native-compat-test--quietly (&rest body)
  "Run BODY with non-free and registry warnings off."
  `(let ((llm-warn-on-nonfree nil)
         (warning-minimum-log-level :emergency)
         (warning-minimum-level :emergency))
     ,@body))

(defun llm-native-compat-test--slots (type)
  "Return the slot names of struct TYPE, without the tag slot."
  (mapcar #'car (cdr (cl-struct-slot-info type))))

;;;; Features and structs

(ert-deftest llm-native-compat-features-load ()
  (dolist (feature '(llm llm-provider-utils llm-models llm-openai llm-azure
                         llm-github llm-deepseek llm-gpt4all llm-llamacpp
                         llm-ollama llm-claude llm-vertex llm-gemini llm-fake
                         llm-prompt))
    (should (require feature))
    (should (featurep feature))))

(ert-deftest llm-native-compat-struct-slots ()
  (should (equal (llm-native-compat-test--slots 'llm-chat-prompt)
                 '(context examples interactions tools temperature max-tokens
                           response-format reasoning non-standard-params
                           tool-options)))
  (should (equal (llm-native-compat-test--slots 'llm-chat-prompt-interaction)
                 '(role content tool-results multi-turn-plist)))
  (should (equal (llm-native-compat-test--slots 'llm-chat-prompt-tool-result)
                 '(call-id tool-name result)))
  (should (equal (llm-native-compat-test--slots 'llm-tool)
                 '(function name description args async)))
  (should (equal (llm-native-compat-test--slots 'llm-media) '(mime-type data)))
  (should (equal (llm-native-compat-test--slots 'llm-multipart) '(parts)))
  (should (equal (llm-native-compat-test--slots 'llm-provider-utils-tool-use)
                 '(id name args)))
  (should (equal (llm-native-compat-test--slots 'llm-gemini-tool-use)
                 '(id name args thought-signature)))
  (should (equal (llm-native-compat-test--slots 'llm-model)
                 '(name symbol capabilities context-length regex)))
  (should (equal (llm-native-compat-test--slots 'llm-standard-chat-provider)
                 '(default-chat-temperature default-chat-max-tokens
                                            default-chat-non-standard-params)))
  (should (eq (llm-tool-options-tool-choice (make-llm-tool-options)) 'auto)))

(ert-deftest llm-native-compat-provider-inheritance ()
  (should (llm-standard-full-provider-p (make-llm-openai :key "k")))
  (should (llm-openai-p (make-llm-openai-compatible :url "http://h/v1/")))
  (should (llm-openai-compatible-p (make-llm-openrouter :key "k")))
  (should (llm-openai-compatible-p (make-llm-azure :url "https://a" :key "k")))
  (should (llm-azure-p (make-llm-github :key "k")))
  (should (llm-openai-compatible-p (make-llm-deepseek :key "k")))
  (should (llm-openai-compatible-p (make-llm-gpt4all :chat-model "m")))
  (should (llm-openai-compatible-p (make-llm-llamacpp)))
  (should (llm-standard-full-provider-p (make-llm-ollama)))
  (should (llm-ollama-p (make-llm-ollama-authed :key "k")))
  (should (llm-standard-chat-provider-p (make-llm-claude :key "k")))
  (should-not (llm-standard-full-provider-p (make-llm-claude :key "k")))
  (should (llm-google-p (make-llm-vertex :project "p")))
  (should (llm-google-p (make-llm-gemini :key "k")))
  (should-not (llm-standard-provider-p (make-llm-fake))))

(ert-deftest llm-native-compat-provider-defaults ()
  (should (equal (llm-openai-chat-model (make-llm-openai)) "gpt-5.4-mini"))
  (should (equal (llm-openai-embedding-model (make-llm-openai))
                 "text-embedding-3-small"))
  (should (equal (llm-openai-compatible-chat-model (make-llm-openai-compatible))
                 "unset"))
  (should (equal (llm-openrouter-url (make-llm-openrouter))
                 "https://openrouter.ai/api/v1/"))
  (should (equal (llm-deepseek-chat-model (make-llm-deepseek)) "deepseek-chat"))
  (let ((ollama (make-llm-ollama :chat-model "llama3.1" :default-chat-temperature 0.3
                                 :default-chat-non-standard-params '(("seed" . 1)))))
    (should (equal (llm-ollama-host ollama) "localhost"))
    (should (= (llm-ollama-port ollama) 11434))
    (should (equal (llm-ollama-scheme ollama) "http"))
    (should (= (llm-ollama-default-chat-temperature ollama) 0.3))
    (should (= (llm-standard-chat-provider-default-chat-temperature ollama) 0.3))
    (should (equal (llm-ollama-default-chat-non-standard-params ollama) '(("seed" . 1)))))
  (should (equal (llm-claude-chat-model (make-llm-claude :key "k")) "claude-sonnet-4-6"))
  (should (equal (llm-gemini-chat-model (make-llm-gemini)) "gemini-3.1-pro-preview"))
  (should (equal (llm-gemini-embedding-model (make-llm-gemini)) "gemini-embedding-001"))
  (should (equal (llm-vertex-chat-model (make-llm-vertex :project "p"))
                 llm-vertex-default-chat-model))
  (should (= (llm-llamacpp-port (make-llm-llamacpp)) 8080)))

;;;; Prompts

(ert-deftest llm-native-compat-make-chat-prompt ()
  (let ((prompt (llm-make-chat-prompt "Hi" :context "ctx" :examples '(("a" . "b"))
                                      :temperature 0.5 :max-tokens 10
                                      :reasoning 'light
                                      :non-standard-params '(("seed" . 1)))))
    (should (equal (llm-chat-prompt-context prompt) "ctx"))
    (should (equal (llm-chat-prompt-examples prompt) '(("a" . "b"))))
    (should (= (llm-chat-prompt-temperature prompt) 0.5))
    (should (= (llm-chat-prompt-max-tokens prompt) 10))
    (should (eq (llm-chat-prompt-reasoning prompt) 'light))
    (should (equal (llm-chat-prompt-non-standard-params prompt) '(("seed" . 1))))
    (should (equal (llm-chat-prompt-interactions prompt)
                   (list (make-llm-chat-prompt-interaction :role 'user :content "Hi")))))
  (should (equal (llm-make-chat-prompt '("a" "b" "c"))
                 (make-llm-chat-prompt
                  :interactions (list (make-llm-chat-prompt-interaction
                                       :role 'user :content "a")
                                      (make-llm-chat-prompt-interaction
                                       :role 'assistant :content "b")
                                      (make-llm-chat-prompt-interaction
                                       :role 'user :content "c")))))
  (should (equal (llm-make-simple-chat-prompt "x") (llm-make-chat-prompt "x"))))

(ert-deftest llm-native-compat-make-chat-prompt-validation ()
  (let ((err (should-error (llm-make-chat-prompt nil) :type 'llm-invalid-argument)))
    (should (equal (cdr err) '("CONTENT is required"))))
  (should-error (llm-make-chat-prompt '("a" "b")) :type 'llm-invalid-argument)
  (should-error (llm-make-chat-prompt '("a" "b")) :type 'llm-error))

(ert-deftest llm-native-compat-append-response ()
  (let ((prompt (llm-make-chat-prompt "Q")))
    (llm-chat-prompt-append-response prompt "A" 'assistant)
    (llm-chat-prompt-append-response prompt "Q2")
    (should (equal (mapcar #'llm-chat-prompt-interaction-role
                           (llm-chat-prompt-interactions prompt))
                   '(user assistant user)))
    (should (equal (mapcar #'llm-chat-prompt-interaction-content
                           (llm-chat-prompt-interactions prompt))
                   '("Q" "A" "Q2")))))

(ert-deftest llm-native-compat-multipart-with-image ()
  (let* ((bytes (unibyte-string #x89 ?P ?N ?G 0 255))
         (file (make-temp-file "llm-native-img" nil ".png")))
    (unwind-protect
        (progn
          (let ((coding-system-for-write 'no-conversion))
            (write-region bytes nil file nil 'silent))
          (let* ((media (make-llm-media :mime-type "text/plain" :data "x"))
                 (multipart (llm-make-multipart
                             "look" media
                             (list 'image :type 'png :data bytes)
                             (list 'image :type 'jpeg :file file))))
            (should (llm-multipart-p multipart))
            (should (equal (nth 0 (llm-multipart-parts multipart)) "look"))
            (should (eq (nth 1 (llm-multipart-parts multipart)) media))
            (let ((png (nth 2 (llm-multipart-parts multipart)))
                  (jpeg (nth 3 (llm-multipart-parts multipart))))
              (should (llm-media-p png))
              (should (equal (llm-media-mime-type png) "image/png"))
              (should (equal (llm-media-data png) bytes))
              (should (equal (llm-media-mime-type jpeg) "image/jpeg"))
              (should (equal (llm-media-data jpeg) bytes))
              (should-not (multibyte-string-p (llm-media-data jpeg))))
            (should (string-match-p "look .*image/png"
                                    (llm-chat-prompt-to-text
                                     (llm-make-chat-prompt multipart))))))
      (delete-file file))))

(ert-deftest llm-native-compat-prompt-to-text ()
  (let ((text (llm-chat-prompt-to-text
               (llm-make-chat-prompt '("Hi" "Hello" "Bye") :context "Be brief"
                                     :examples '(("1+1" . "2"))
                                     :temperature 0.2))))
    (should (string-match-p "Context: Be brief" text))
    (should (string-match-p "1\\+1" text))
    (should (string-match-p "user: Hi\nassistant: Hello\nuser: Bye" text))
    (should (string-match-p "Temperature: 0.2" text))))

;;;; Tools

(ert-deftest llm-native-compat-make-tool ()
  (let ((tool (llm-make-tool :function #'ignore :name "get_weather"
                             :description "Weather" :args '((:name "city" :type string))
                             :async t :category "ignored")))
    (should (llm-tool-p tool))
    (should (equal (llm-tool-name tool) "get_weather"))
    (should (eq (llm-tool-function tool) #'ignore))
    (should (llm-tool-async tool))))

(ert-deftest llm-native-compat-tool-schema ()
  (should (equal (llm-provider-utils-openai-arguments
                  '((:name "city" :type string :description "The city")
                    (:name "unit" :type string :enum ["c" "f"] :optional t)
                    (:name "days" :type integer)
                    (:name "tags" :type array :items (:type string))
                    (:name "ratio" :type float :optional t)))
                 '(:type "object"
                         :properties (:city (:type "string" :description "The city")
                                            :unit (:type "string" :enum ["c" "f"])
                                            :days (:type "integer")
                                            :tags (:type "array" :items (:type "string"))
                                            :ratio (:type "float"))
                         :required ["city" "days" "tags"])))
  (should (equal (llm-provider-utils-openai-arguments
                  '((:name "x" :type boolean :optional t)))
                 '(:type "object" :properties (:x (:type "boolean")))))
  (should (equal (json-parse-string
                  (json-serialize (llm-provider-utils-openai-arguments
                                   '((:name "o" :type object
                                            :properties (:a (:type string))))))
                  :object-type 'alist)
                 '((type . "object")
                   (properties (o (type . "object") (properties (a (type . "string")))))
                   (required . ["o"])))))

(ert-deftest llm-native-compat-collect-streaming-tool-uses ()
  (let ((uses (llm-provider-utils-openai-collect-streaming-tool-uses
               (vector '((index . 0) (id . "call_1")
                         (function (name . "capital") (arguments . "")))
                       '((index . 1) (id . "call_2")
                         (function (name . "noargs") (arguments . "")))
                       '((index . 0) (function (arguments . "{\"coun")))
                       '((index . 0) (id . :null)
                         (function (arguments . "try\":\"France\"}")))))))
    (should (equal uses
                   (list (make-llm-provider-utils-tool-use
                          :id "call_1" :name "capital" :args '((country . "France")))
                         (make-llm-provider-utils-tool-use
                          :id "call_2" :name "noargs" :args nil)))))
  (should-error (llm-provider-utils-openai-collect-streaming-tool-uses
                 (vector '((index . 0) (id . "x")
                           (function (name . "f") (arguments . "{bad")))))
                :type 'llm-tool-call-error))

(ert-deftest llm-native-compat-streaming-accumulate ()
  (should (equal (llm-provider-utils-streaming-accumulate "Pa" "ris") "Paris"))
  (should (equal (llm-provider-utils-streaming-accumulate 3 4) 7))
  (should (equal (llm-provider-utils-streaming-accumulate [1] [2]) [1 2]))
  (should (equal (llm-provider-utils-streaming-accumulate nil "x") "x"))
  (should (equal (llm-provider-utils-streaming-accumulate '(1) '(2)) '(1 2)))
  (let* ((current (list :text "a" :input-tokens 1))
         (result (llm-provider-utils-streaming-accumulate
                  current '(:text "b" :reasoning "r" :input-tokens 2))))
    (should (equal result '(:text "ab" :input-tokens 3 :reasoning "r")))
    (should (equal current '(:text "a" :input-tokens 1))))
  (should-error (llm-provider-utils-streaming-accumulate "a" 1)
                :type 'llm-invalid-argument))

;;;; Prompt helpers

(ert-deftest llm-native-compat-system-prompt ()
  (should (equal (llm-provider-utils-get-system-prompt (llm-make-chat-prompt "q" :context "ctx"))
                 "ctx\n"))
  (should (equal (llm-provider-utils-get-system-prompt
                  (llm-make-chat-prompt "q" :context "ctx" :examples '(("a" . "b")))
                  llm-openai-example-prelude)
                 "ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b"))
  (should (equal (llm-provider-utils-get-system-prompt
                  (llm-make-chat-prompt "q" :examples '(("a" . "b") ("c" . "d"))))
                 "Here are 2 examples of how to respond:\n\nUser: a\nAssistant: b\nUser: c\nAssistant: d"))
  (let ((prompt (llm-make-chat-prompt "q" :context "ctx")))
    (llm-provider-utils-combine-to-system-prompt prompt)
    (should-not (llm-chat-prompt-context prompt))
    (should (equal (mapcar #'llm-chat-prompt-interaction-role
                           (llm-chat-prompt-interactions prompt))
                   '(system user)))
    (setf (llm-chat-prompt-context prompt) "more")
    (llm-provider-utils-combine-to-system-prompt prompt)
    (should (equal (llm-chat-prompt-interaction-content
                    (car (llm-chat-prompt-interactions prompt)))
                   "ctx\n\nmore\n"))
    ;; As in llm: the context stays when a system interaction was extended.
    (should (equal (llm-chat-prompt-context prompt) "more")))
  (let ((prompt (llm-make-chat-prompt "q" :context "ctx")))
    (llm-provider-utils-combine-to-user-prompt prompt)
    (should (equal (llm-chat-prompt-interaction-content
                    (car (llm-chat-prompt-interactions prompt)))
                   "ctx\n\nq")))
  (let ((prompt (llm-make-chat-prompt '("a" "b" "c"))))
    (llm-provider-utils-collapse-history prompt "Before:")
    (should (= 1 (length (llm-chat-prompt-interactions prompt))))
    (should (string-match-p "\\`Before:\n\nUser: a\nAssistant: b\n\n.*\n\nc\\'"
                            (llm-chat-prompt-interaction-content
                             (car (llm-chat-prompt-interactions prompt)))))))

(ert-deftest llm-native-compat-merge-defaults ()
  (let ((provider (make-llm-openai-compatible
                   :default-chat-temperature 0.1 :default-chat-max-tokens 5
                   :default-chat-non-standard-params '(("top_p" . 0.9) ("seed" . 2))))
        (prompt (llm-make-chat-prompt "q" :temperature 0.5
                                      :non-standard-params '(("seed" . 1)))))
    (llm-provider-utils-merge-provider-defaults provider prompt)
    (should (= (llm-chat-prompt-temperature prompt) 0.5))
    (should (= (llm-chat-prompt-max-tokens prompt) 5))
    (should (equal (llm-chat-prompt-non-standard-params prompt)
                   '(("seed" . 1) ("top_p" . 0.9))))
    (should (equal (llm-provider-utils-non-standard-params-plist prompt)
                   '(:seed 1 :top_p 0.9)))))

(ert-deftest llm-native-compat-append-to-prompt ()
  (let ((prompt (llm-make-chat-prompt "q"))
        (use (make-llm-provider-utils-tool-use :id "1" :name "f" :args nil))
        (result (make-llm-chat-prompt-tool-result :call-id "1" :tool-name "f"
                                                  :result "r")))
    (llm-provider-append-to-prompt (make-llm-openai) prompt "text" nil '(:k 1))
    (llm-provider-populate-tool-uses (make-llm-openai) prompt (list use))
    (llm-provider-append-to-prompt (make-llm-openai) prompt nil (list result))
    (let ((interactions (cdr (llm-chat-prompt-interactions prompt))))
      (should (equal (mapcar #'llm-chat-prompt-interaction-role interactions)
                     '(assistant assistant tool-results)))
      (should (equal (llm-chat-prompt-interaction-multi-turn-plist (nth 0 interactions))
                     '(:k 1)))
      (should (equal (llm-chat-prompt-interaction-content (nth 1 interactions))
                     (list use)))
      (should (equal (llm-chat-prompt-interaction-tool-results (nth 2 interactions))
                     (list result))))))

(ert-deftest llm-native-compat-json-val-and-serializable ()
  (should-not (llm-provider-utils-json-val :null))
  (should (equal (llm-provider-utils-json-val "x") "x"))
  (should (equal (llm-provider-utils-convert-to-serializable '(:a (1 2) :b foo))
                 '(:a [1 2] :b "foo"))))

;;;; Generics and defaults

(ert-deftest llm-native-compat-nil-provider ()
  (let ((prompt (llm-make-chat-prompt "q")))
    (dolist (thunk (list (lambda () (llm-chat nil prompt))
                         (lambda () (llm-chat-async nil prompt #'ignore #'ignore))
                         (lambda () (llm-chat-streaming nil prompt #'ignore #'ignore #'ignore))
                         (lambda () (llm-embedding nil "x"))
                         (lambda () (llm-embedding-async nil "x" #'ignore #'ignore))
                         (lambda () (llm-batch-embeddings nil '("x")))
                         (lambda () (llm-batch-embeddings-async nil '("x") #'ignore
                                                                #'ignore))))
      (let ((err (should-error (funcall thunk) :type 'llm-provider-unconfigured)))
        (should (string-match-p "LLM provider was nil" (cadr err)))))))

(ert-deftest llm-native-compat-generic-defaults ()
  (cl-defstruct llm-native-compat-test-provider)
  (let ((provider (make-llm-native-compat-test-provider)))
    (should (= (llm-count-tokens provider "one two three four five six") 8))
    (should (= (llm-chat-token-limit provider) 2048))
    (should-not (llm-capabilities provider))
    (should (equal (llm-name provider) "LLM"))
    (should-not (llm-nonfree-message-info provider))
    (should (eq (condition-case err (llm-chat provider (llm-make-chat-prompt "q"))
                  (t (car err)))
                'not-implemented))
    (should (eq (condition-case err (llm-models provider) (t (car err)))
                'not-implemented))
    ;; `not-implemented' stays outside the `error' hierarchy, as in llm.
    (should (eq 'escaped
                (catch 'done
                  (condition-case nil
                      (condition-case nil (llm-embedding provider "x")
                        (error (throw 'done 'caught)))
                    (t 'escaped)))))))

(ert-deftest llm-native-compat-standard-provider-needs-native-mode ()
  (llm-native-compat-test--quietly
   (let ((provider (make-llm-openai :key "k"))
         (prompt (llm-make-chat-prompt "q")))
     (dolist (thunk (list (lambda () (llm-chat provider prompt))
                          (lambda () (llm-chat-async provider prompt #'ignore #'ignore))
                          (lambda () (llm-chat-streaming provider prompt #'ignore
                                                         #'ignore #'ignore))
                          (lambda () (llm-embedding provider "x"))
                          (lambda () (llm-batch-embeddings-async provider '("x")
                                                                 #'ignore #'ignore))))
       (let ((err (should-error (funcall thunk) :type 'llm-error)))
         (should (string-match-p "llm-native-mode" (cadr err))))))))

(ert-deftest llm-native-compat-cancel-request ()
  (let ((buffer (generate-new-buffer " *cancel*")))
    (llm-cancel-request buffer)
    (should-not (buffer-live-p buffer)))
  (let ((process (make-pipe-process :name "llm-native-cancel" :noquery t)))
    (llm-cancel-request process)
    (should-not (process-live-p process))))

(ert-deftest llm-native-compat-nonfree-warning ()
  (let ((llm-warn-on-nonfree t)
        (warned nil))
    (cl-letf (((symbol-function 'lwarn)
               (lambda (type _level format &rest args)
                 (push (cons type (apply #'format format args)) warned))))
      (ignore-errors (llm-chat (make-llm-claude :key "k") (llm-make-chat-prompt "q")))
      (should (equal (caar warned) '(llm nonfree)))
      (should (string-match-p "anthropic.com" (cdar warned)))
      (setq warned nil)
      (llm-chat (make-llm-fake) (llm-make-chat-prompt "q"))
      (should-not warned)
      (let ((llm-warn-on-nonfree nil))
        (ignore-errors (llm-chat (make-llm-claude :key "k") (llm-make-chat-prompt "q")))
        (should-not warned)))))

(ert-deftest llm-native-compat-logging ()
  (let ((llm-log t))
    (when (get-buffer "*llm log*") (kill-buffer "*llm log*"))
    (llm-chat (make-llm-fake :chat-action-func (lambda () "logged answer"))
              (llm-make-chat-prompt "logged question"))
    (with-current-buffer "*llm log*"
      (should (string-match-p "logged question" (buffer-string)))
      (should (string-match-p "logged answer" (buffer-string))))
    (kill-buffer "*llm log*")))

;;;; Streaming to point

(ert-deftest llm-native-compat-replace-region-diff ()
  (with-temp-buffer
    (insert "BEFORE||AFTER")
    (let ((start (copy-marker 9)) (end (copy-marker 9 t)))
      (llm--replace-region-text start end "Pa")
      (should (equal (buffer-string) "BEFORE||PaAFTER"))
      (llm--replace-region-text start end "Paris")
      (should (equal (buffer-string) "BEFORE||ParisAFTER"))
      ;; A rewritten tail keeps the common prefix in place.
      (put-text-property 9 10 'face 'bold)
      (llm--replace-region-text start end "Pals")
      (should (equal (buffer-string) "BEFORE||PalsAFTER"))
      (should (eq (get-text-property 9 'face) 'bold))
      (llm--replace-region-text start end "")
      (should (equal (buffer-string) "BEFORE||AFTER")))))

(ert-deftest llm-native-compat-streaming-to-point ()
  (with-temp-buffer
    (insert "BEFORE||AFTER")
    (goto-char 3)
    (let ((finished nil)
          (processed nil))
      (llm-chat-streaming-to-point
       (make-llm-fake :chat-action-func (lambda () "Paris is nice"))
       (llm-make-chat-prompt "q") (current-buffer) 9
       (lambda () (setq finished t))
       :processor (lambda (text start)
                    (push (marker-position start) processed)
                    (upcase text)))
      (should finished)
      (should (equal (buffer-string) "BEFORE||PARIS IS NICEAFTER"))
      (should (equal (delete-dups processed) '(9)))
      (should (= (point) 3)))))

(ert-deftest llm-native-compat-streaming-to-point-error ()
  (with-temp-buffer
    (should-error (llm-chat-streaming-to-point
                   (make-llm-fake :chat-action-func
                                  (lambda () '(llm-request-error "boom")))
                   (llm-make-chat-prompt "q") (current-buffer) (point) #'ignore)
                  :type 'llm-request-error)))

;;;; llm-fake

(ert-deftest llm-native-compat-fake-chat ()
  (let ((prompt (llm-make-chat-prompt "q")))
    (should (equal (llm-chat (make-llm-fake) prompt) "Sample response from `llm-chat-async'"))
    (should (equal (mapcar #'llm-chat-prompt-interaction-role
                           (llm-chat-prompt-interactions prompt))
                   '(user assistant)))
    (should (equal (llm-chat (make-llm-fake :chat-action-func (lambda () "hi"))
                             prompt t)
                   '(:text "hi"))))
  (should-error (llm-chat (make-llm-fake :chat-action-func
                                         (lambda () '(llm-request-error "bad")))
                          (llm-make-chat-prompt "q"))
                :type 'llm-request-error)
  (with-temp-buffer
    (let ((name (buffer-name)))
      (llm-chat (make-llm-fake :output-to-buffer name) (llm-make-chat-prompt "logged"))
      (should (string-match-p "logged" (buffer-string))))))

(ert-deftest llm-native-compat-fake-async ()
  (let (response error-args)
    (should-not (llm-chat-async (make-llm-fake :chat-action-func (lambda () "ok"))
                                (llm-make-chat-prompt "q")
                                (lambda (r) (setq response r))
                                (lambda (&rest a) (setq error-args a))))
    ;; Callbacks run at once, before the call returns.
    (should (equal response "ok"))
    (llm-chat-async (make-llm-fake :chat-action-func (lambda () "ok"))
                    (llm-make-chat-prompt "q")
                    (lambda (r) (setq response r)) #'ignore t)
    (should (equal response '(:text "ok")))
    (llm-chat-async (make-llm-fake :chat-action-func
                                   (lambda () '(llm-request-error "bad" 1)))
                    (llm-make-chat-prompt "q")
                    #'ignore (lambda (&rest a) (setq error-args a)))
    (should (equal error-args '(llm-request-error ("bad" 1))))))

(ert-deftest llm-native-compat-fake-streaming ()
  (let ((prompt (llm-make-chat-prompt "q"))
        partials response)
    (cl-letf (((symbol-function 'sleep-for) #'ignore))
      (should-not (llm-chat-streaming (make-llm-fake) prompt
                                      (lambda (p) (push p partials))
                                      (lambda (r) (setq response r))
                                      #'ignore))
      (should (equal (nreverse partials)
                     '("Sample " "Sample response " "Sample response from "
                       "Sample response from `llm-chat-streaming' ")))
      (should (equal response "Sample response from `llm-chat-streaming'"))
      (should (equal (llm-chat-prompt-interaction-content
                      (car (last (llm-chat-prompt-interactions prompt))))
                     response))
      (setq partials nil)
      (llm-chat-streaming (make-llm-fake :chat-action-func (lambda () "a b"))
                          (llm-make-chat-prompt "q")
                          (lambda (p) (push p partials))
                          (lambda (r) (setq response r))
                          #'ignore t)
      (should (equal (nreverse partials) '((:text "a ") (:text "a b "))))
      (should (equal response '(:text "a b")))
      (should-error (llm-chat-streaming (make-llm-fake :chat-action-func
                                                       (lambda () '(error "x")))
                                        (llm-make-chat-prompt "q")
                                        #'ignore #'ignore #'ignore)))))

(ert-deftest llm-native-compat-fake-embeddings ()
  (let ((fake (make-llm-fake)))
    (should (equal (llm-embedding fake "x") [0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9]))
    (should (equal (llm-batch-embeddings fake '("a" "b"))
                   (list (llm-embedding fake "a") (llm-embedding fake "b"))))
    (let (got)
      (should-not (llm-embedding-async fake "x" (lambda (v) (setq got v)) #'ignore))
      (should (vectorp got)))
    (should-error (llm-embedding (make-llm-fake :embedding-action-func
                                                (lambda () '(llm-request-error "no")))
                                 "x")
                  :type 'llm-request-error)
    (should (equal (llm-name fake) "Fake"))
    (should (equal (llm-capabilities fake) '(streaming embeddings)))))

;;;; Providers

(ert-deftest llm-native-compat-key-not-printed ()
  (dolist (provider (list (make-llm-openai :key "sekrit-key-1")
                          (make-llm-openai-compatible :url "http://h/v1/"
                                                      :key "sekrit-key-1")
                          (make-llm-openrouter :key "sekrit-key-1")
                          (make-llm-azure :url "https://a" :key "sekrit-key-1")
                          (make-llm-github :key "sekrit-key-1")
                          (make-llm-deepseek :key "sekrit-key-1")
                          (make-llm-ollama-authed :key "sekrit-key-1")
                          (make-llm-claude :key "sekrit-key-1")
                          (make-llm-gemini :key "sekrit-key-1")))
    (should-not (string-match-p "sekrit" (format "%S" provider)))
    (should-not (string-match-p "sekrit" (prin1-to-string provider)))
    (should (string-match-p "sekrit"
                            (format "%S" (append (llm-provider-headers provider)
                                                 (ignore-errors
                                                   (llm-provider-chat-url provider))))))))

(ert-deftest llm-native-compat-function-key-kept ()
  (let ((key (lambda () "from-function")))
    (should (eq (llm-openai-key (make-llm-openai :key key)) key))
    (should (equal (llm-provider-headers (make-llm-openai :key key))
                   '(("Authorization" . "Bearer from-function"))))))

(ert-deftest llm-native-compat-names ()
  (should (equal (llm-name (make-llm-openai)) "Open AI"))
  (should (equal (llm-name (make-llm-openai-compatible)) "Open AI Compatible"))
  (should (equal (llm-name (make-llm-openai-compatible :chat-model "gpt-4o")) "GPT-4o"))
  (should (equal (llm-name (make-llm-azure :chat-model "dep")) "Azure OpenAI dep"))
  (should (equal (llm-name (make-llm-github :chat-model "m")) "GitHub Models m"))
  (should (equal (llm-name (make-llm-gpt4all :chat-model "Mistral Instruct"))
                 "Mistral Instruct"))
  (should (equal (llm-name (make-llm-llamacpp)) "Llama CPP"))
  (should (equal (llm-name (make-llm-ollama :chat-model "llama3.1")) "llama3.1"))
  (should (equal (llm-name (make-llm-ollama :embedding-model "nomic-embed-text"))
                 "nomic-embed-text"))
  (should (equal (llm-name (make-llm-claude :key "k")) "Claude 4.6 Sonnet"))
  (should (equal (llm-name (make-llm-claude :key "k" :chat-model "mystery")) "Claude"))
  (should (equal (llm-name (make-llm-gemini)) "Gemini"))
  (should (equal (llm-name (make-llm-vertex :project "p")) "Vertex Gemini")))

(ert-deftest llm-native-compat-capabilities ()
  (should (equal (llm-capabilities (make-llm-claude :key "k"))
                 '(streaming tool-use streaming-tool-use image-input pdf-input
                             generation caching json-response reasoning)))
  (should (equal (llm-capabilities (make-llm-openai))
                 '(streaming embeddings tool-use streaming-tool-use json-response
                             model-list image-input reasoning)))
  (should (equal (llm-capabilities (make-llm-ollama :chat-model "llama3.1"))
                 '(streaming json-response model-list tool-use streaming-tool-use)))
  (should (equal (llm-capabilities (make-llm-ollama :chat-model "llama3.1:8b"
                                                    :embedding-model "nomic-embed-text"))
                 '(streaming json-response model-list embeddings embeddings-batch
                             tool-use streaming-tool-use)))
  (should (equal (llm-capabilities (make-llm-gemini :chat-model "gemini-2.5-flash"))
                 '(streaming embeddings model-list tool-use streaming-tool-use
                             generation image-input audio-input video-input
                             json-response pdf-input caching reasoning)))
  (should (equal (llm-capabilities (make-llm-openai-compatible :chat-model "unset"))
                 '(streaming model-list)))
  (let ((compat (llm-capabilities (make-llm-openai-compatible
                                   :chat-model "llama3.1" :embedding-model "e"))))
    (should (equal compat '(streaming model-list embeddings embeddings-batch
                                      generation tool-use free-software)))
    (should-not (memq 'streaming-tool-use compat)))
  (should-not (memq 'embeddings-batch
                    (llm-capabilities (make-llm-openrouter :embedding-model "e"))))
  (should (memq 'embeddings (llm-capabilities (make-llm-azure))))
  (should (memq 'reasoning (llm-capabilities (make-llm-deepseek
                                              :chat-model "deepseek-reasoner"))))
  (should (equal (llm-capabilities (make-llm-vertex :project "p"
                                                    :chat-model "gemini-2.5-pro"))
                 '(streaming embeddings json-response tool-use streaming-tool-use
                             image-input audio-input video-input))))

(ert-deftest llm-native-compat-token-limits ()
  (llm-native-compat-test--quietly
   (should (= (llm-chat-token-limit (make-llm-openai :chat-model "gpt-4o")) 128000))
   (should (= (llm-chat-token-limit (make-llm-openai :chat-model "gpt-4.1-mini")) 1047576))
   (should (= (llm-chat-token-limit (make-llm-openai :chat-model "unknown-x")) 128000))
   (should (= (llm-chat-token-limit (make-llm-ollama :chat-model "unknown-x")) 2048))
   (should (= (llm-chat-token-limit (make-llm-ollama :chat-model "qwen3:8b")) 40960))
   (should (= (llm-chat-token-limit (make-llm-claude :key "k")) 200000))
   (should (= (llm-chat-token-limit (make-llm-gemini :chat-model "unknown-x")) 1048576))
   (should (= (llm-chat-token-limit (make-llm-gemini)) 1048576))
   (should (= (llm-chat-token-limit (make-llm-openrouter
                                     :chat-model '("gpt-4o-mini" "other")))
              128000))
   (should (= (llm-chat-token-limit (make-llm-fake)) 2048))))

(ert-deftest llm-native-compat-urls-and-headers ()
  (llm-native-compat-test--quietly
   (should (equal (llm-provider-chat-url (make-llm-openai))
                  "https://api.openai.com/v1/responses"))
   (should (equal (llm-provider-embedding-url (make-llm-openai))
                  "https://api.openai.com/v1/embeddings"))
   (should (equal (llm-provider-chat-streaming-url
                   (make-llm-openai-compatible :url "http://h:8000/v1"))
                  "http://h:8000/v1/chat/completions"))
   (should (equal (llm-provider-embedding-url
                   (make-llm-openai-compatible :url "http://h:8000/v1/"))
                  "http://h:8000/v1/embeddings"))
   (should-not (llm-provider-headers (make-llm-openai-compatible :url "http://h/")))
   (should (equal (llm-provider-chat-url (make-llm-openrouter))
                  "https://openrouter.ai/api/v1/chat/completions"))
   (let ((azure (make-llm-azure :url "https://r.openai.azure.com/" :key "k"
                                :chat-model "chat" :embedding-model "emb")))
     (should (equal (llm-provider-chat-url azure)
                    "https://r.openai.azure.com/openai/deployments/chat/chat/completions?api-version=2024-08-01-preview"))
     (should (equal (llm-provider-embedding-url azure)
                    "https://r.openai.azure.com/openai/deployments/emb/embeddings?api-version=2024-08-01-preview"))
     (should (equal (llm-provider-headers azure) '(("api-key" . "k")))))
   (should (equal (llm-provider-chat-url (make-llm-github :key "k"))
                  "https://models.inference.ai.azure.com/chat/completions"))
   (should (equal (llm-provider-chat-url (make-llm-deepseek :key "k"))
                  "https://api.deepseek.com/chat/completions"))
   (should (equal (llm-provider-headers (make-llm-deepseek :key "k"))
                  '(("Authorization" . "Bearer k"))))
   (should (equal (llm-provider-chat-url (make-llm-gpt4all :port 5000))
                  "http://localhost:5000/v1/chat/completions"))
   (should (equal (llm-provider-chat-url (make-llm-llamacpp))
                  "http://localhost:8080/chat/completions"))
   (let ((ollama (make-llm-ollama :host "box" :port 1234)))
     (should (equal (llm-provider-chat-url ollama) "http://box:1234/api/chat"))
     (should (equal (llm-provider-embedding-url ollama t) "http://box:1234/api/embed"))
     (should-not (llm-provider-headers ollama))
     (should (= (llm-provider-chat-timeout ollama) 300)))
   (should (equal (llm-provider-headers (make-llm-ollama-authed :key "k"))
                  '(("Authorization" . "Bearer k"))))
   (should (equal (llm-provider-chat-url (make-llm-claude :key "k"))
                  "https://api.anthropic.com/v1/messages"))
   (should (equal (llm-provider-headers (make-llm-claude :key "k"))
                  '(("x-api-key" . "k") ("anthropic-version" . "2023-06-01")
                    ("anthropic-beta" . "structured-outputs-2025-11-13"))))
   (should (equal (llm-provider-headers (make-llm-claude :key "k"
                                                         :chat-model "claude-3-haiku"))
                  '(("x-api-key" . "k") ("anthropic-version" . "2023-06-01"))))
   (let ((gemini (make-llm-gemini :key "k" :chat-model "gemini-2.5-flash")))
     (should (equal (llm-provider-chat-url gemini)
                    "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent?key=k"))
     (should (equal (llm-provider-chat-streaming-url gemini)
                    "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=k"))
     (should (equal (llm-provider-embedding-url gemini)
                    "https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:embedContent?key=k")))
   (let ((vertex (make-llm-vertex :project "proj" :chat-model "gemini-2.5-pro")))
     (should (equal (llm-provider-chat-streaming-url vertex)
                    "https://us-central1-aiplatform.googleapis.com/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent"))
     (should (string-suffix-p "/models/textembedding-gecko:predict"
                              (llm-provider-embedding-url vertex))))))

(ert-deftest llm-native-compat-preludes ()
  (should-error (llm-provider-request-prelude (make-llm-openai))
                :type 'llm-provider-unconfigured)
  (should-not (llm-provider-request-prelude (make-llm-openai :key "k")))
  (should-not (llm-provider-request-prelude (make-llm-openai-compatible)))
  (should-error (llm-provider-request-prelude (make-llm-claude))
                :type 'llm-provider-unconfigured)
  (should-error (llm-provider-request-prelude (make-llm-gemini))
                :type 'llm-provider-unconfigured)
  (let ((vertex (make-llm-vertex :project "p"))
        (llm-vertex-gcloud-binary "echo"))
    ;; `echo auth print-access-token' stands in for gcloud.
    (llm-provider-request-prelude vertex)
    (should (equal (llm-vertex-key vertex) "auth print-access-token"))
    (should (equal (llm-provider-headers vertex)
                   '(("Authorization" . "Bearer auth print-access-token"))))
    (let ((llm-vertex-gcloud-binary "false"))
      ;; A fresh token is reused without running gcloud again.
      (llm-provider-request-prelude vertex)
      (setf (llm-vertex-key-gentime vertex) (time-subtract nil 7200))
      (should-error (llm-provider-request-prelude vertex) :type 'llm-provider-error))))

(ert-deftest llm-native-compat-nonfree-info ()
  (should (stringp (llm-nonfree-message-info (make-llm-openai))))
  (should (stringp (llm-nonfree-message-info (make-llm-claude :key "k"))))
  (should (stringp (llm-nonfree-message-info (make-llm-gemini))))
  (should (stringp (llm-nonfree-message-info (make-llm-vertex :project "p"))))
  (should (stringp (llm-nonfree-message-info (make-llm-azure))))
  (should (stringp (llm-nonfree-message-info (make-llm-openrouter))))
  (should-not (llm-nonfree-message-info (make-llm-ollama)))
  (should-not (llm-nonfree-message-info (make-llm-openai-compatible)))
  (should-not (llm-nonfree-message-info (make-llm-gpt4all)))
  (should-not (llm-nonfree-message-info (make-llm-fake))))

;;;; Model registry

(ert-deftest llm-native-compat-models-match ()
  (dolist (case '(("gpt-4o" . gpt-4o) ("gpt-4o-mini-2024-07-18" . gpt-4o-mini)
                  ("gpt-4o-2024-08-06" . gpt-4o) ("gpt-4" . gpt-4)
                  ("gpt-4-turbo" . gpt-4-turbo) ("gpt-4.1" . gpt-4.1)
                  ("gpt-5" . gpt-5) ("gpt-5-mini" . gpt-5-mini) ("gpt-5.1" . gpt-5.1)
                  ("gpt-5.4-mini" . gpt-5.4-mini) ("gpt-5.4" . gpt-5.4)
                  ("o1" . o1) ("o3-mini" . o3-mini) ("openai/o4-mini" . o4-mini)
                  ("gpt-oss:20b" . gpt-oss-20b) ("gpt-oss-120b" . gpt-oss-120b)
                  ("claude-sonnet-4-20250514" . claude-4-sonnet)
                  ("claude-sonnet-4-5-20250929" . claude-4-5-sonnet)
                  ("claude-sonnet-4-6" . claude-4-6-sonnet)
                  ("claude-opus-4-6" . claude-4-6-opus)
                  ("claude-opus-4-7" . claude-4-7-opus)
                  ("claude-opus-4-1-20250805" . claude-4-1-opus)
                  ("claude-haiku-4-5" . claude-4-5-haiku)
                  ("anthropic/claude-sonnet-4.5" . claude-4-5-sonnet)
                  ("claude-3-7-sonnet-latest" . claude-3-7-sonnet)
                  ("gemini-2.5-pro" . gemini-2-5-pro)
                  ("gemini-2.5-flash" . gemini-2-5-flash)
                  ("gemini-2.5-flash-lite" . gemini-2-5-flash-lite)
                  ("gemini-3-pro-preview" . gemini-3-pro)
                  ("gemini-3.1-pro-preview" . gemini-3-1-pro)
                  ("gemini-3.1-flash-lite-preview" . gemini-3-1-flash-lite)
                  ("llama3.1:8b" . llama-3.1) ("llama3:latest" . llama-3)
                  ("meta-llama/llama-3.3-70b-instruct" . llama-3.3)
                  ("qwen3:8b" . qwen-3) ("qwen3-coder:30b" . qwen-3-coder)
                  ("qwen2.5-coder:7b" . qwen-2.5-coder) ("qwen2.5:14b" . qwen-2.5)
                  ("mistral:7b" . mistral) ("mistral-small3.2" . mistral-small)
                  ("deepseek-chat" . deepseek-chat) ("deepseek-r1:14b" . deepseek-r1)
                  ("deepseek-reasoner" . deepseek-reasoner)
                  ("nomic-embed-text" . nomic-embed-text)
                  ("text-embedding-3-small" . text-embedding-3-small)
                  ("GPT-4O" . gpt-4o)))
    (ert-info ((car case))
      (should (eq (llm-model-symbol (llm-models-match (car case))) (cdr case)))))
  (should-not (llm-models-match "completely-unknown"))
  (should-not (llm-models-match nil))
  (should (equal (llm-model-capabilities (llm-models-by-symbol 'claude-4-6-sonnet))
                 '(generation tool-use image-input pdf-input caching json-response
                              reasoning))))

(ert-deftest llm-native-compat-models-regexes-unique ()
  "Each model's regex matches no sample name of another model."
  (let ((samples '("gpt-4o" "gpt-4o-mini" "gpt-4" "gpt-4-turbo" "gpt-4.1" "gpt-4.1-mini"
                   "gpt-4.1-nano" "gpt-5" "gpt-5-mini" "gpt-5-nano" "gpt-5.1" "gpt-5.2"
                   "gpt-5.4" "gpt-5.4-mini" "gpt-5.4-nano" "o1" "o1-mini" "o3" "o3-mini"
                   "o4-mini" "gpt-oss:20b" "gpt-oss:120b" "claude-sonnet-4-0"
                   "claude-opus-4-0" "claude-opus-4-1" "claude-sonnet-4-5"
                   "claude-haiku-4-5" "claude-opus-4-5" "claude-sonnet-4-6"
                   "claude-opus-4-6" "claude-opus-4-7" "claude-3-5-haiku-latest"
                   "claude-3-7-sonnet-latest" "gemini-2.0-flash" "gemini-2.5-pro"
                   "gemini-2.5-flash" "gemini-2.5-flash-lite" "gemini-3-pro-preview"
                   "gemini-3-flash-preview" "gemini-3.1-pro-preview"
                   "gemini-3.1-flash-lite-preview" "gemini-embedding-001"
                   "llama3" "llama3.1" "llama3.2" "llama3.3" "llama4" "qwen2.5"
                   "qwen2.5-coder" "qwen3" "qwen3-coder" "qwq" "mistral" "mistral-small"
                   "mistral-large" "mistral-nemo" "mixtral" "codestral" "devstral"
                   "deepseek-chat" "deepseek-reasoner" "deepseek-r1" "deepseek-v3"
                   "gemma3" "gemma2" "phi4" "phi3" "nomic-embed-text" "mxbai-embed-large"
                   "all-minilm" "bge-m3" "text-embedding-3-large"
                   "text-embedding-ada-002" "text-embedding-004")))
    (dolist (sample samples)
      (ert-info (sample)
        (should (= 1 (cl-count-if (lambda (model)
                                    (string-match-p (llm-model-regex model) sample))
                                  llm-models)))))
    (should (= (length llm-models)
               (length (delete-dups (mapcar #'llm-model-symbol llm-models)))))))

(ert-deftest llm-native-compat-models-add ()
  (let ((llm-models llm-models))
    (llm-models-add :name "My Model" :symbol 'my-model :capabilities '(generation)
                    :context-length 4096)
    (should (eq (llm-model-symbol (llm-models-match "my model")) 'my-model))
    (should (= (llm-provider-utils-model-token-limit "My Model") 4096))))

;;;; llm-prompt

(cl-defstruct llm-native-compat-test-small-provider)

(cl-defmethod llm-chat-token-limit ((_ llm-native-compat-test-small-provider))
  "A context of 20 tokens, so the prompt budget is 10."
  20)

(cl-defmethod llm-count-tokens ((_ llm-native-compat-test-small-provider) string)
  "Count one token per word of STRING."
  (length (split-string string)))

(ert-deftest llm-native-compat-prompt-fill ()
  (let ((provider (make-llm-native-compat-test-small-provider)))
    (should (equal (llm-prompt-fill-text "Hi {{name}}, {{name}}!" provider :name "Bo")
                   "Hi Bo, Bo!"))
    ;; Budget 10: "Words:" costs 1, so nine one-word items fit.
    (let ((filled (llm-prompt-fill-text "Words: {{w}}" provider
                                        :w (number-sequence 1 20))))
      (should (equal filled (concat "Words: " (mapconcat #'number-to-string
                                                         (number-sequence 1 9)
                                                         "\n")))))
    (should (equal (llm-prompt-fill-text "{{w:3}}" provider
                                         :w '(("a" . back) ("b" . front) "c"))
                   "b\na\nc"))
    (let ((generator (iter-lambda () (let ((i 0)) (while t (iter-yield (cl-incf i)))))))
      (should (equal (length (split-string (llm-prompt-fill-text "{{g}}" provider
                                                                 :g generator)))
                     10)))
    (let ((llm-prompt-default-max-tokens 3))
      (should (equal (llm-prompt-fill-text "{{w}}" provider :w '("a" "b" "c" "d"))
                     "a\nb\nc")))
    (llm-defprompt llm-native-compat-test-prompt "Say {{x}}")
    (should (equal (llm-prompt-get 'llm-native-compat-test-prompt) "Say {{x}}"))
    (should (equal (llm-prompt-fill 'llm-native-compat-test-prompt provider :x "hi")
                   "Say hi"))
    (should-error (llm-prompt-fill 'llm-native-compat-test-missing provider)
                  :type 'llm-invalid-argument)))

(provide 'llm-native-compat-test)
;;; llm-native-compat-test.el ends here
