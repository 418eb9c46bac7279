;;; llm-native-llm-test.el --- ERT tests of the llm API on llm-native  -*- lexical-binding: t; -*-

;;; Commentary:

;; Every provider type against the fake provider server: streaming and
;; non-streaming text, reasoning and token counts, multi-turn history, HTTP
;; errors, errors inside a stream, truncated streams, cancellation, caller
;; buffers and tool calls.  Runs without the llm package (compat mode).

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'json)
(require 'llm-native)
;; Loading llm (the real one, or the stand-in in tests/llm-stand-in) attaches the integration.
(require 'llm)
(require 'llm-native-test-util)

(setq llm-warn-on-nonfree nil)

(defconst llm-native-llm-test--fixtures
  (or (getenv "LLM_NATIVE_FIXTURES")
      (expand-file-name "../fixtures"
                        (file-name-directory (or load-file-name buffer-file-name))))
  "Directory of the provider fixtures.")

(defun llm-native-llm-test--expected (fixture)
  "Return the semantics alist of FIXTURE (\"dir/name\") from its EXPECTED.json."
  (let* ((dir (car (split-string fixture "/")))
         (all (json-parse-string
               (with-temp-buffer
                 (insert-file-contents
                  (expand-file-name (concat dir "/EXPECTED.json") llm-native-llm-test--fixtures))
                 (buffer-string))
               :object-type 'alist :null-object nil :false-object nil)))
    (alist-get 'semantics (alist-get (intern fixture) all))))

(defun llm-native-llm-test--error-body (dialect message status)
  "Return DIALECT's JSON error body carrying MESSAGE for HTTP STATUS."
  (llm-native-test-json
   (pcase dialect
     ("anthropic" `((type . "error") (error . ((type . "api_error") (message . ,message)))))
     ("gemini" `((error . ((code . ,status) (message . ,message) (status . "FAILED")))))
     ("ollama" `((error . ,message)))
     (_ `((error . ((message . ,message) (type . "invalid_request_error"))))))))

(defun llm-native-llm-test--sync-body (dialect text)
  "Return a non-streaming DIALECT response body with TEXT.
It reports 5 input and 3 output tokens."
  (llm-native-test-json
   (pcase dialect
     ("anthropic" `((type . "message") (role . "assistant")
                    (content . [((type . "text") (text . ,text))])
                    (stop_reason . "end_turn")
                    (usage . ((input_tokens . 5) (output_tokens . 3)))))
     ("openai-responses" `((status . "completed")
                           (output . [((type . "message") (role . "assistant")
                                       (content . [((type . "output_text") (text . ,text))]))])
                           (usage . ((input_tokens . 5) (output_tokens . 3)))))
     ("gemini" `((candidates . [((content . ((role . "model") (parts . [((text . ,text))])))
                                 (finishReason . "STOP"))])
                 (usageMetadata . ((promptTokenCount . 5) (candidatesTokenCount . 3)))))
     ("ollama" `((model . "m") (message . ((role . "assistant") (content . ,text)))
                 (done . t) (prompt_eval_count . 5) (eval_count . 3)))
     (_ `((choices . [((index . 0) (message . ((role . "assistant") (content . ,text)))
                       (finish_reason . "stop"))])
          (usage . ((prompt_tokens . 5) (completion_tokens . 3))))))))

(eval-and-compile
  (defconst llm-native-llm-test--providers
    '(openai openai-compatible azure ollama claude gemini vertex)
    "The provider kinds every test runs for."))

(defun llm-native-llm-test--spec (kind)
  "Return the test description plist of provider KIND."
  (pcase kind
    ('openai
     (list :dialect "openai-responses" :generate "openai-responses"
           :make (lambda (_base) (make-llm-openai :key "sk-secret" :chat-model "gpt-4o-mini"))
           :override 'llm-openai :path "/v1/responses"
           :header '("authorization" . "Bearer sk-secret")
           :text "openai-responses/text.sse" :reasoning "openai-responses/reasoning-summary.sse"
           :tools "openai-responses/function-call.sse" :midstream "openai-responses/error-failed.sse"
           :tool-args '(("get_weather" "city" "days"))))
    ('openai-compatible
     (list :dialect "openai-chat" :generate "openai-chat"
           :make (lambda (_base) (make-llm-openai-compatible :url "http://unused.invalid/v1/"
                                                             :key "oc-secret" :chat-model "test-model"))
           :override 'llm-openai-compatible :path "/chat/completions" :header '("authorization" . "Bearer oc-secret")
           :text "openai-chat/text-usage.sse" :reasoning "openai-chat/reasoning-content-keepalive.sse"
           :tools "openai-chat/tool-calls-parallel.sse" :midstream "openai-chat/error-midstream.sse"
           :tool-args '(("get_weather" "location" "unit") ("get_time" "tz" "q"))))
    ('azure
     (list :dialect "openai-chat" :generate "openai-chat"
           :make (lambda (_base) (make-llm-azure :url "http://unused.invalid" :key "az-secret"
                                                 :chat-model "dep"))
           :override 'llm-azure
           :path "/openai/deployments/dep/chat/completions?api-version=2024-08-01-preview"
           :header '("api-key" . "az-secret")
           :text "openai-chat/unicode.sse" :reasoning "openai-chat/reasoning-content-keepalive.sse"
           :tools "openai-chat/tool-calls-parallel.sse" :midstream "openai-chat/error-midstream.sse"
           :tool-args '(("get_weather" "location" "unit") ("get_time" "tz" "q"))))
    ('ollama
     (list :dialect "ollama" :generate "ollama"
           :make (lambda (_base) (make-llm-ollama :chat-model "llama3.1"))
           :override 'llm-ollama :path "/api/chat" :header nil
           :text "ollama/chat-text.ndjson" :reasoning "ollama/chat-thinking.ndjson"
           :tools "ollama/chat-tool-calls.ndjson" :midstream "ollama/error-midstream.ndjson"
           :tool-args '(("get_weather" "city" "unit") ("get_time"))))
    ('claude
     (list :dialect "anthropic" :generate "anthropic"
           :make (lambda (_base) (make-llm-claude :key "ck-secret" :chat-model "claude-sonnet-4-5"))
           :override 'llm-claude :path "/v1/messages" :header '("x-api-key" . "ck-secret")
           :text "anthropic/text.sse" :reasoning "anthropic/thinking.sse"
           :tools "anthropic/tool-use.sse" :midstream "anthropic/error-overloaded.sse"
           :tool-args '(("get_weather" "location" "unit" "note") ("get_time"))))
    ('gemini
     (list :dialect "gemini" :generate "gemini"
           :make (lambda (_base) (make-llm-gemini :key "gk-secret" :chat-model "gemini-2.5-flash"))
           :override 'llm-gemini :path "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
           :sync-path "/v1beta/models/gemini-2.5-flash:generateContent"
           :header '("x-goog-api-key" . "gk-secret")
           :text "gemini/text.json" :reasoning nil
           :tools "gemini/function-call.json" :midstream "gemini/error-midstream-unterminated.json"
           :tool-args '(("get_weather" "location" "days") ("get_time"))))
    ('vertex
     (list :dialect "gemini" :generate "gemini"
           :make (lambda (_base) (make-llm-vertex :project "proj" :key "vx-token"
                                                  :key-gentime (current-time)
                                                  :chat-model "gemini-2.5-flash"))
           :override 'llm-vertex
           :path "/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:streamGenerateContent"
           :sync-path "/v1/projects/proj/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
           :header '("authorization" . "Bearer vx-token")
           :text "gemini/text.json" :reasoning nil
           :tools "gemini/function-call.json" :midstream "gemini/error-midstream-unterminated.json"
           :tool-args '(("get_weather" "location" "days") ("get_time"))))))

(defun llm-native-llm-test--provider (spec base)
  "Return SPEC's provider aimed at the scenario BASE, binding the URL override."
  (when (plist-get spec :override)
    (setq llm-native-url-overrides (list (cons (plist-get spec :override) base))))
  (funcall (plist-get spec :make) base))

(defmacro llm-native-llm-test--deftests (name doc &rest body)
  "Define one ERT test NAME-KIND per provider kind, with DOC and BODY.
BODY runs with `spec' bound to the provider's description and
`llm-native-url-overrides' bound locally."
  (declare (indent 2) (doc-string 2))
  `(progn
     ,@(mapcar
        (lambda (kind)
          `(ert-deftest ,(intern (format "%s-%s" name kind)) ()
             ,(format "%s (%s)." doc kind)
             (let ((spec (llm-native-llm-test--spec ',kind))
                   (llm-native-url-overrides nil))
               (ignore spec)
               ,@body)))
        llm-native-llm-test--providers)))

(defun llm-native-llm-test--last-request (base)
  "Return the last request recorded for the scenario BASE."
  (car (last (llm-native-test-requests base))))

(defun llm-native-llm-test--request-body (base)
  "Return the parsed JSON body of the last request under BASE."
  (json-parse-string (alist-get 'body (llm-native-llm-test--last-request base))
                     :object-type 'alist))

(cl-defun llm-native-llm-test--stream (provider prompt &key multi-output on-partial)
  "Stream PROMPT with PROVIDER and wait; return a plist of what happened.
Keys: :partials (in order), :result, :error, :buffers (callback buffers).
ON-PARTIAL, if given, is also called with each partial."
  (let ((partials nil) (result nil) (err nil) (done nil) (buffers nil))
    (llm-chat-streaming provider prompt
                        (lambda (p)
                          (push p partials) (push (current-buffer) buffers)
                          (when on-partial (funcall on-partial p)))
                        (lambda (r) (setq result r done t) (push (current-buffer) buffers))
                        (lambda (s m) (setq err (list s m) done t) (push (current-buffer) buffers))
                        multi-output)
    (llm-native-test-wait-until (lambda () done) 20)
    (list :partials (nreverse partials) :result result :error err :buffers buffers)))

;;;; Text

(llm-native-llm-test--deftests llm-native-llm-stream-fixture-text
    "Streaming a recorded stream gives its exact text, prefix partials, URL and key header"
  (let* ((base (llm-native-test-scenario (list :fixture (plist-get spec :text) :chunk 7)))
         (provider (llm-native-llm-test--provider spec base))
         (expected (alist-get 'text (llm-native-llm-test--expected (plist-get spec :text))))
         (prompt (llm-make-chat-prompt "Hi" :context "Be terse."))
         (outcome (llm-native-llm-test--stream provider prompt)))
    (should-not (plist-get outcome :error))
    (should (equal (plist-get outcome :result) expected))
    (should (plist-get outcome :partials))
    (dolist (partial (plist-get outcome :partials))
      (should (string-prefix-p partial expected)))
    (let ((request (llm-native-llm-test--last-request base)))
      (should (equal (alist-get 'path request) (plist-get spec :path)))
      (when (plist-get spec :header)
        (should (equal (alist-get (intern (car (plist-get spec :header)))
                                  (alist-get 'headers request))
                       (cdr (plist-get spec :header))))))
    ;; The prompt now ends with the assistant's answer.
    (let ((last (car (last (llm-chat-prompt-interactions prompt)))))
      (should (eq (llm-chat-prompt-interaction-role last) 'assistant))
      (should (equal (llm-chat-prompt-interaction-content last) expected)))))

(llm-native-llm-test--deftests llm-native-llm-stream-generated
    "A generated stream, chunked per byte, arrives whole in the caller's buffer"
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect (plist-get spec :generate) :tokens 60)
                      :chunk 5)))
         (provider (llm-native-llm-test--provider spec base))
         (outcome nil))
    (with-temp-buffer
      (rename-buffer "*llm-native-caller*" t)
      (let ((caller (current-buffer)))
        (setq outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "Go")))
        (should (plist-get outcome :buffers))
        (dolist (buffer (plist-get outcome :buffers))
          (should (eq buffer caller)))))
    (should-not (plist-get outcome :error))
    (should (equal (plist-get outcome :result)
                   (alist-get 'text (llm-native-test-expected base))))))

(llm-native-llm-test--deftests llm-native-llm-chat-sync
    "Non-streaming `llm-chat' and `llm-chat-async' return the text and token counts"
  (let* ((base (llm-native-test-scenario
                (list :body (llm-native-llm-test--sync-body (plist-get spec :dialect) "Paris é")
                      :content_type "application/json")))
         (provider (llm-native-llm-test--provider spec base)))
    (should (equal (llm-chat provider (llm-make-chat-prompt "Capital?")) "Paris é"))
    (should (equal (alist-get 'path (llm-native-llm-test--last-request base))
                   (or (plist-get spec :sync-path) (plist-get spec :path))))
    (should (equal (llm-chat provider (llm-make-chat-prompt "Capital?") t)
                   '(:text "Paris é" :input-tokens 5 :output-tokens 3)))
    (let ((result nil) (returned nil))
      (setq returned (llm-chat-async provider (llm-make-chat-prompt "Capital?")
                                     (lambda (r) (setq result (list r returned)))
                                     (lambda (s m) (setq result (list s m)))))
      (should returned)
      (llm-native-test-wait-until (lambda () result) 10)
      ;; The callback ran after the call had returned its handle.
      (should (equal result (list "Paris é" returned))))))

;;;; Reasoning and tokens

(llm-native-llm-test--deftests llm-native-llm-multi-output
    "Reasoning and token counts arrive in the multi-output plist"
  (let* ((fixture (plist-get spec :reasoning))
         (base (llm-native-test-scenario
                (if fixture (list :fixture fixture)
                  (list :generate (list :dialect (plist-get spec :generate)
                                        :tokens 10 :reasoning_tokens 4)))))
         (provider (llm-native-llm-test--provider spec base))
         (expected (if fixture
                       (let ((sem (llm-native-llm-test--expected fixture)))
                         (list (alist-get 'text sem) (alist-get 'reasoning sem)))
                     (let ((exp (llm-native-test-expected base)))
                       (list (alist-get 'text exp) (alist-get 'reasoning exp)))))
         (outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "Think")
                                               :multi-output t))
         (result (plist-get outcome :result)))
    (should-not (plist-get outcome :error))
    (should (equal (plist-get result :text) (nth 0 expected)))
    (should (equal (plist-get result :reasoning) (nth 1 expected)))
    (should (integerp (plist-get result :output-tokens)))
    (should (integerp (plist-get result :input-tokens)))
    (dolist (partial (plist-get outcome :partials))
      (should (cl-every #'keywordp (cl-loop for k in partial by #'cddr collect k)))
      (when (plist-get partial :text)
        (should (string-prefix-p (plist-get partial :text) (nth 0 expected)))))))

;;;; Multi-turn

(llm-native-llm-test--deftests llm-native-llm-second-turn
    "A second turn's request carries the history and the multi-turn state"
  (let* ((fixture (or (plist-get spec :reasoning) (plist-get spec :text)))
         (base (llm-native-test-scenario (list :fixture fixture)))
         (provider (llm-native-llm-test--provider spec base))
         (prompt (llm-make-chat-prompt "First question" :context "Context text"))
         (first (llm-native-llm-test--stream provider prompt)))
    (should-not (plist-get first :error))
    (llm-chat-prompt-append-response prompt "Second question")
    (let* ((base2 (llm-native-test-scenario (list :fixture (plist-get spec :text))))
           (_ (llm-native-llm-test--provider spec base2))
           (second (llm-native-llm-test--stream provider prompt))
           (body (alist-get 'body (llm-native-llm-test--last-request base2)))
           (answer (llm-chat-prompt-interaction-content
                    (cl-find 'assistant (llm-chat-prompt-interactions prompt)
                             :key #'llm-chat-prompt-interaction-role)))
           (multi-turn (llm-chat-prompt-interaction-multi-turn-plist
                        (cl-find 'assistant (llm-chat-prompt-interactions prompt)
                                 :key #'llm-chat-prompt-interaction-role))))
      (should-not (plist-get second :error))
      (should (equal answer (plist-get first :result)))
      (dolist (text (list "First question" "Second question" "Context text"))
        (should (string-search text body)))
      (should (string-search (substring (llm-native-test-json answer) 1 -1) body))
      ;; Context went into the history once (system-role dialects), not once per call.
      (should (= (if (member (plist-get spec :dialect) '("anthropic" "openai-responses")) 0 1)
                 (cl-count-if (lambda (i) (eq (llm-chat-prompt-interaction-role i) 'system))
                                (llm-chat-prompt-interactions prompt))))
      ;; A Responses reasoning id alone is not sent back (useless with store:false).
      (cl-loop for (key value) on multi-turn by #'cddr
               when (and (stringp value) (not (eq key :openai-reasoning-id)))
               do (should (string-search (substring (llm-native-test-json value) 1 -1) body))))))

;;;; Errors

(llm-native-llm-test--deftests llm-native-llm-http-errors
    "HTTP errors with the provider's JSON body reach callbacks and signals"
  (pcase-dolist (`(,status . ,symbol) '((401 . llm-request-authentication-error)
                                        (400 . llm-request-bad-request)
                                        (429 . llm-request-error)
                                        (500 . llm-request-error)))
    (let* ((message (format "provider says no %d" status))
           (base (llm-native-test-scenario
                  (list :status status :content_type "application/json"
                        :body (llm-native-llm-test--error-body
                               (plist-get spec :dialect) message status))))
           (provider (llm-native-llm-test--provider spec base))
           (outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "Hi")))
           (err (plist-get outcome :error)))
      (should-not (plist-get outcome :result))
      (should (eq (car err) symbol))
      (should (string-search message (cadr err)))
      (should-not (string-search "secret" (cadr err)))
      (let ((signalled (should-error (llm-chat provider (llm-make-chat-prompt "Hi")))))
        (should (eq (car signalled) symbol))
        (should (string-search message (cadr signalled)))))))

(llm-native-llm-test--deftests llm-native-llm-midstream-error
    "An error after the stream started is an error with the provider's message"
  (let* ((fixture (plist-get spec :midstream))
         (base (llm-native-test-scenario (list :fixture fixture)))
         (provider (llm-native-llm-test--provider spec base))
         (outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "Hi")))
         (err (plist-get outcome :error))
         (provider-error (alist-get 'error (llm-native-llm-test--expected fixture))))
    (should-not (plist-get outcome :result))
    (should (eq (car err) 'llm-request-error))
    (should (string-search (if (stringp provider-error) provider-error
                             (alist-get 'message provider-error))
                           (cadr err)))))

(llm-native-llm-test--deftests llm-native-llm-truncated
    "A stream cut before the provider's end signal is an error"
  (let* ((fixture (plist-get spec :text))
         (size (file-attribute-size
                (file-attributes (expand-file-name fixture llm-native-llm-test--fixtures))))
         (base (llm-native-test-scenario (list :fixture fixture :close_after (/ size 2))))
         (provider (llm-native-llm-test--provider spec base))
         (outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "Hi"))))
    (should-not (plist-get outcome :result))
    (should (eq (car (plist-get outcome :error)) 'llm-request-error))))

;;;; Pace

(ert-deftest llm-native-llm-partials-paced ()
  "Partial callbacks come at most once per `llm-native-progress-interval'.
The first comes at once, each is a prefix of the answer, and the
response callback gets it whole."
  (let* ((base (llm-native-test-scenario
                '(:generate (:dialect "openai-chat" :tokens 60 :interval_ms 5))))
         (provider (make-llm-openai-compatible :url (concat base "/v1/") :key "k"
                                               :chat-model "m"))
         (expected nil) (times nil) (started (float-time)) (outcome nil))
    (let ((llm-native-progress-interval 0.1))
      (setq outcome (llm-native-llm-test--stream
                     provider (llm-make-chat-prompt "Go")
                     :on-partial (lambda (_) (push (float-time) times)))))
    (setq expected (alist-get 'text (llm-native-test-expected base)))
    (should-not (plist-get outcome :error))
    (should (equal (plist-get outcome :result) expected))
    (dolist (partial (plist-get outcome :partials))
      (should (string-prefix-p partial expected)))
    ;; About 300 ms of tokens: a few partials, one an interval at most, besides the
    ;; first and the one the answer's end brings at once (the worker spaces them; the
    ;; main loop can only bunch them more).  Held text does not wait for the end.
    (should (>= (length times) 3))
    (should (<= (length times) (+ 2 (/ (- (float-time) started) 0.1))))))

(ert-deftest llm-native-llm-partial-of-an-answer-in-one-piece ()
  "An answer that arrives whole still reaches the partial callback, whole.
The end of such a stream carries the text itself (no delta and joined
copy); the partial callback gets it, then the response callback."
  (let* ((base (llm-native-test-scenario
                '(:generate (:dialect "openai-chat" :tokens 50) :chunk 1000000)))
         (provider (make-llm-openai-compatible :url (concat base "/v1/") :key "k"
                                               :chat-model "m"))
         (outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "Go")))
         (expected (alist-get 'text (llm-native-test-expected base))))
    (should-not (plist-get outcome :error))
    (should (equal (plist-get outcome :result) expected))
    ;; One partial with the whole text (two if the body came in two reads and a drain fell
    ;; between them): the last one is the whole answer.
    (should (<= 1 (length (plist-get outcome :partials)) 2))
    (should (equal (car (last (plist-get outcome :partials))) expected))))

(ert-deftest llm-native-llm-ascii-answer-in-one-allocation ()
  "An ASCII answer crosses from the module as a unibyte string.
Emacs's `make_string' allocates a string twice; a unibyte string once.
Text with other characters is still whole, and multibyte."
  (dolist (case '((["tok " "word, "] nil) (nil t)))
    (let* ((base (llm-native-test-scenario
                  `(:generate (:dialect "openai-chat" :tokens 50
                               ,@(and (car case) (list :text (car case))))
                    :chunk 1000000)))
           (provider (make-llm-openai-compatible :url (concat base "/v1/") :key "k"
                                                 :chat-model "m"))
           (outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "Go")))
           (expected (alist-get 'text (llm-native-test-expected base)))
           (result (plist-get outcome :result)))
      (should-not (plist-get outcome :error))
      (should (equal result expected))
      (should (eq (multibyte-string-p result) (cadr case))))))

;;;; Cancel

(llm-native-llm-test--deftests llm-native-llm-cancel
    "Cancelling a stream stops it and no callback runs afterwards"
  (let* ((base (llm-native-test-scenario
                (list :generate (list :dialect (plist-get spec :generate)
                                      :tokens 400 :interval_ms 10))))
         (provider (llm-native-llm-test--provider spec base))
         (partials 0) (late nil) (cancelled nil)
         (handle (llm-chat-streaming provider (llm-make-chat-prompt "Long")
                                     (lambda (_) (if cancelled (setq late t) (cl-incf partials)))
                                     (lambda (_) (setq late t))
                                     (lambda (_s _m) (setq late t)))))
    (llm-native-test-wait-until (lambda () (> partials 0)) 10)
    (llm-cancel-request handle)
    (setq cancelled t)
    (let ((end (+ (float-time) 0.5)))
      (while (< (float-time) end) (accept-process-output nil 0.05)))
    (should-not late)
    (llm-native-test-wait-until
     (lambda () (alist-get 'disconnected (llm-native-llm-test--last-request base))) 5)))

;;;; Tools

(defun llm-native-llm-test--tools (spec calls)
  "Return llm tools for SPEC's :tool-args; each call is pushed onto the cell CALLS."
  (mapcar (lambda (entry)
            (let ((name (car entry)))
              (llm-make-tool
               :name name :description (format "The %s tool" name)
               :function (lambda (&rest args)
                           (push (cons name args) (car calls))
                           (format "result of %s" name))
               :args (mapcar (lambda (arg) (list :name arg :type 'string :description arg
                                                 :optional t))
                             (cdr entry)))))
          (plist-get spec :tool-args)))

(llm-native-llm-test--deftests llm-native-llm-tools
    "A tool call runs the tool and records the call and its results in the prompt"
  (let* ((fixture (plist-get spec :tools))
         (base (llm-native-test-scenario (list :fixture fixture)))
         (provider (llm-native-llm-test--provider spec base))
         (calls (list nil))
         (prompt (llm-make-chat-prompt "Weather?" :tools (llm-native-llm-test--tools spec calls)))
         (expected (alist-get 'tool_calls (llm-native-llm-test--expected fixture)))
         (outcome (llm-native-llm-test--stream provider prompt :multi-output t))
         (result (plist-get outcome :result)))
    (should-not (plist-get outcome :error))
    (should (= (length (car calls)) (length expected)))
    (should (equal (sort (mapcar #'car (plist-get result :tool-results)) #'string<)
                   (sort (mapcar (lambda (c) (alist-get 'name c)) (append expected nil))
                         #'string<)))
    (dolist (cell (plist-get result :tool-results))
      (should (equal (cdr cell) (format "result of %s" (car cell)))))
    (let* ((first-call (aref expected 0))
           (args (alist-get 'arguments first-call))
           (recorded (assoc (alist-get 'name first-call) (car calls)))
           (spec-args (cdr (assoc (alist-get 'name first-call) (plist-get spec :tool-args)))))
      ;; Arguments are bound in the order of the tool's spec.
      (should (equal (cdr recorded)
                     (mapcar (lambda (arg) (alist-get (intern arg) args)) spec-args))))
    (let* ((interactions (llm-chat-prompt-interactions prompt))
           (results (car (last interactions)))
           (uses (cl-find-if (lambda (i) (llm-provider-utils-tool-use-p
                                          (car-safe (llm-chat-prompt-interaction-content i))))
                             interactions)))
      (should uses)
      (should (= (length (llm-chat-prompt-interaction-content uses)) (length expected)))
      (should (eq (llm-chat-prompt-interaction-role results)
                  (if (equal (plist-get spec :dialect) "anthropic") 'user 'tool-results)))
      (should (= (length (llm-chat-prompt-interaction-tool-results results)) (length expected))))
    ;; The next turn sends the calls and the results back.
    (let* ((base2 (llm-native-test-scenario (list :fixture (plist-get spec :text))))
           (_ (llm-native-llm-test--provider spec base2))
           (second (llm-native-llm-test--stream provider prompt))
           (body (alist-get 'body (llm-native-llm-test--last-request base2))))
      (should-not (plist-get second :error))
      (should (string-search "result of get_weather" body)))))

(ert-deftest llm-native-llm-tool-errors ()
  "Unknown tools and arguments give llm's error symbols; async tools work."
  (let* ((spec (llm-native-llm-test--spec 'claude))
         (llm-native-url-overrides nil)
         (base (llm-native-test-scenario (list :fixture (plist-get spec :tools))))
         (provider (llm-native-llm-test--provider spec base)))
    ;; No tools at all: the model's call names an unknown tool.
    (let ((outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "x"))))
      (should (eq (car (plist-get outcome :error)) 'llm-tool-unknown-tool)))
    ;; A spec without the model's argument names.
    (let* ((tools (list (llm-make-tool :name "get_weather" :function #'ignore
                                       :args '((:name "city" :type string)))
                        (llm-make-tool :name "get_time" :function #'ignore)))
           (outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "x" :tools tools))))
      (should (eq (car (plist-get outcome :error)) 'llm-tool-unknown-argument)))
    ;; Async tools, called back later; sync llm-chat waits for them.
    (let* ((tools (list (llm-make-tool
                         :name "get_weather" :async t
                         :function (lambda (callback &rest _)
                                     (run-at-time 0.05 nil callback "warm"))
                         :args '((:name "location" :type string) (:name "unit" :type string)
                                 (:name "note" :type string :optional t)))
                        (llm-make-tool :name "get_time" :function (lambda () "noon"))))
           (base2 (llm-native-test-scenario
                   (list :body (with-temp-buffer
                                 (insert-file-contents
                                  (expand-file-name (plist-get spec :tools)
                                                    llm-native-llm-test--fixtures))
                                 (buffer-string))
                         :content_type "text/event-stream")))
           (_ (llm-native-llm-test--provider spec base2))
           (outcome (llm-native-llm-test--stream provider (llm-make-chat-prompt "x" :tools tools))))
      (should-not (plist-get outcome :error))
      ;; Reverse completion order: the sync tool finished first.
      (should (equal (plist-get outcome :result)
                     '(("get_weather" . "warm") ("get_time" . "noon")))))))

;;;; Misc

(ert-deftest llm-native-llm-missing-key ()
  "A missing key signals `llm-provider-unconfigured' synchronously."
  (should-error (llm-chat-async (make-llm-claude :chat-model "claude-sonnet-4-5")
                                (llm-make-chat-prompt "x") #'ignore #'ignore)
                :type 'llm-provider-unconfigured))

(ert-deftest llm-native-llm-mode-off ()
  "With `llm-native-mode' off the native methods no longer apply."
  (unwind-protect
      (progn
        (llm-native-mode -1)
        (should-not (llm-native--routing-tag (make-llm-ollama :chat-model "m")))
        (let ((result (condition-case nil
                          (llm-chat-async (make-llm-ollama :chat-model "m" :port 1)
                                          (llm-make-chat-prompt "x") #'ignore #'ignore)
                        (error 'signalled))))
          (if (string-match-p "/tests/llm-stand-in/" (locate-library "llm"))
              ;; llm-native's own llm has nothing else to run: it says the mode is off.
              (should (eq result 'signalled))
            ;; Beside the real llm package, llm's own code (plz and curl) runs.
            (should-not (llm-native-handle-p result))
            (when (processp result) (delete-process result)))))
    (llm-native-mode 1))
  (should (llm-native--routing-tag (make-llm-ollama :chat-model "m"))))

(ert-deftest llm-native-llm-sync-chat-quit-cancels ()
  "\\[keyboard-quit] during a synchronous `llm-chat' quits and cancels the transfer."
  (let* ((spec (llm-native-llm-test--spec 'ollama))
         (llm-native-url-overrides nil)
         (base (llm-native-test-scenario
                (list :generate (list :dialect "ollama" :tokens 500 :interval-ms 10))))
         (provider (llm-native-llm-test--provider spec base))
         (timer (run-at-time 0.3 nil (lambda () (setq quit-flag t))))
         (outcome (condition-case nil
                      (progn (llm-chat provider (llm-make-chat-prompt "x")) 'finished)
                    (quit 'quit))))
    (cancel-timer timer)
    (should (eq outcome 'quit))
    (llm-native-test-wait-until
     (lambda () (eq t (alist-get 'disconnected (car (llm-native-test-requests base))))))))

(ert-deftest llm-native-llm-streaming-to-point ()
  "`llm-chat-streaming-to-point' inserts the streamed text at point."
  (let* ((spec (llm-native-llm-test--spec 'openai-compatible))
         (llm-native-url-overrides nil)
         (fixture (plist-get spec :text))
         (base (llm-native-test-scenario (list :fixture fixture :chunk 3)))
         (provider (llm-native-llm-test--provider spec base))
         (done nil))
    (with-temp-buffer
      (insert "BEFORE||AFTER")
      (llm-chat-streaming-to-point provider (llm-make-chat-prompt "x") (current-buffer) 9
                                   (lambda () (setq done t)))
      (llm-native-test-wait-until (lambda () done) 10)
      (should (equal (buffer-string)
                     (concat "BEFORE||"
                             (alist-get 'text (llm-native-llm-test--expected fixture))
                             "AFTER"))))))

(ert-deftest llm-native-llm-canonical-prompt ()
  "The canonical prompt carries system text, media, tools, choice and options."
  (let* ((provider (make-llm-claude :key "k" :chat-model "claude-sonnet-4-5"
                                    :default-chat-temperature 0.3
                                    :default-chat-non-standard-params '(("top_k" . 5))))
         (prompt (llm-make-chat-prompt
                  (llm-make-multipart "What?" (make-llm-media :mime-type "image/png"
                                                              :data (unibyte-string 1 2 255)))
                  :context "ctx" :examples '(("a" . "b"))
                  :tools (list (llm-make-tool :name "t" :description "d" :function #'ignore
                                              :args '((:name "x" :type string :description "X")
                                                      (:name "y" :type integer :optional t))))
                  :tool-options (make-llm-tool-options :tool-choice "t")))
         (canonical (llm-native--canonical-prompt provider prompt "anthropic")))
    (should (equal (alist-get 'system canonical)
                   "ctx\nHere is an example of how to respond:\n\nUser: a\nAssistant: b"))
    (should (equal (alist-get 'temperature canonical) 0.3))
    (should (equal (alist-get 'non_standard canonical) '((top_k . 5))))
    (should (equal (alist-get 'tool_choice canonical) '((name . "t"))))
    (should (integerp (alist-get 'max_tokens canonical)))
    (let ((part (aref (alist-get 'content (aref (alist-get 'interactions canonical) 0)) 1)))
      (should (equal (alist-get 'data part) (base64-encode-string (unibyte-string 1 2 255) t))))
    (should (equal (json-parse-string (json-serialize (aref (alist-get 'tools canonical) 0))
                                      :object-type 'alist)
                   (json-parse-string
                    "{\"name\":\"t\",\"description\":\"d\",\"parameters\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\",\"description\":\"X\"},\"y\":{\"type\":\"integer\"}},\"required\":[\"x\"]}}"
                    :object-type 'alist)))
    ;; A system-role provider moves context into the history once.
    (let ((ollama (make-llm-ollama :chat-model "llama3.1")))
      (llm-native--canonical-prompt ollama prompt "ollama")
      (llm-native--canonical-prompt ollama prompt "ollama")
      (should-not (llm-chat-prompt-context prompt))
      (should (equal (llm-chat-prompt-interaction-content (car (llm-chat-prompt-interactions prompt)))
                     "ctx\nExamples of how you should respond follow.\nUser: a\nAssistant: b")))))

(ert-deftest llm-native-llm-canonical-prompt-system-and-bare-tool ()
  "Context joins an existing system interaction once; a tool without arguments
has an empty object of properties."
  (let ((prompt (llm-make-chat-prompt
                 "q" :context "ctx"
                 :tools (list (llm-make-tool :name "now" :description "Time"
                                             :function #'ignore :args nil))))
        (ollama (make-llm-ollama :chat-model "llama3.1")))
    (push (make-llm-chat-prompt-interaction :role 'system :content "sys")
          (llm-chat-prompt-interactions prompt))
    (llm-native--canonical-prompt ollama prompt "ollama")
    ;; llm leaves the context in place here; a second call must not add it again.
    (let ((canonical (llm-native--canonical-prompt ollama prompt "ollama")))
      (should-not (llm-chat-prompt-context prompt))
      (should (equal (llm-chat-prompt-interaction-content
                      (car (llm-chat-prompt-interactions prompt)))
                     "sys\nctx\n"))
      (should (equal (llm-native--serialize
                      (alist-get 'parameters (aref (alist-get 'tools canonical) 0)))
                     "{\"type\":\"object\",\"properties\":{}}")))))

(ert-deftest llm-native-llm-canonical-prompt-family-entries ()
  "DeepSeek always sends reasoning, in its style; OpenRouter sends its model list."
  (let* ((deepseek (make-llm-deepseek :key "k" :chat-model "deepseek-chat"))
         (canonical (llm-native--canonical-prompt
                     deepseek (llm-make-chat-prompt "q" :reasoning 'light) "openai-chat")))
    (should (equal (alist-get 'reasoning canonical) "light"))
    (should (equal (alist-get 'options canonical) '((reasoning_style . "deepseek")))))
  (let* ((openrouter (make-llm-openrouter :key "k" :chat-model '("a/one" "b/two")))
         (canonical (llm-native--canonical-prompt
                     openrouter (llm-make-chat-prompt "q") "openai-chat")))
    (should (equal (alist-get 'model canonical) "a/one"))
    (should (equal (alist-get 'options canonical) '((models . ["a/one" "b/two"]))))))

(provide 'llm-native-llm-test)

;;; llm-native-llm-test.el ends here
