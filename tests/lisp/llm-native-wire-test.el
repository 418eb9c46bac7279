;;; llm-native-wire-test.el --- Wire fidelity of the llm API on llm-native  -*- lexical-binding: t; -*-

;;; Commentary:

;; End to end against the fake provider server, per wire protocol (issue 14):
;; an answer is truncated only when nothing in it shows it complete, so the
;; signs each protocol has are enough (a finish or stop reason, a closed JSON
;; array, a whole JSON document); an answer in another framing than the one
;; asked for is still delivered; a refused prompt is an error naming the
;; reason; a connection cut in the middle of an answer is still an error.
;; The bodies are written here, inline.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'json)
(require 'llm-native)
;; Loading llm (the real one, or the stand-in in tests/llm-stand-in) attaches the integration.
(require 'llm)
(require 'llm-native-test-util)

(setq llm-warn-on-nonfree nil)

(defun llm-native-wire-test--provider (kind base)
  "Return a provider of KIND aimed at the scenario BASE (binds the URL override)."
  (pcase-let ((`(,type . ,make)
               (pcase kind
                 ('openai-chat
                  (cons 'llm-openai-compatible
                        (lambda () (make-llm-openai-compatible :url "http://unused.invalid/v1/"
                                                               :key "k" :chat-model "m"))))
                 ('openai-responses
                  (cons 'llm-openai (lambda () (make-llm-openai :key "k" :chat-model "gpt-4o-mini"))))
                 ('anthropic
                  (cons 'llm-claude (lambda () (make-llm-claude :key "k" :chat-model "claude-sonnet-4-5"))))
                 ('gemini
                  (cons 'llm-gemini (lambda () (make-llm-gemini :key "k" :chat-model "gemini-2.5-flash"))))
                 ('ollama
                  (cons 'llm-ollama (lambda () (make-llm-ollama :chat-model "llama3.1")))))))
    (setq llm-native-url-overrides (list (cons type base)))
    (funcall make)))

(defun llm-native-wire-test--json (object)
  "OBJECT serialized as JSON text."
  (decode-coding-string (json-serialize object) 'utf-8))

(defun llm-native-wire-test--sse (events &optional crlf)
  "SSE text of EVENTS: each a JSON object (alist), \"[DONE]\", or (NAME . OBJECT).
With CRLF, lines end in CR LF."
  (let ((eol (if crlf "\r\n" "\n")))
    (mapconcat (lambda (event)
                 (cond ((stringp event) (concat "data: " event eol eol))
                       ((stringp (car event))
                        (concat "event: " (car event) eol
                                "data: " (llm-native-wire-test--json (cdr event)) eol eol))
                       (t (concat "data: " (llm-native-wire-test--json event) eol eol))))
               events "")))

(defun llm-native-wire-test--ndjson (objects)
  "NDJSON text of OBJECTS."
  (mapconcat (lambda (o) (concat (llm-native-wire-test--json o) "\n")) objects ""))

(cl-defun llm-native-wire-test--chat (kind scenario &key streaming tools)
  "Register SCENARIO and chat with KIND's provider.
Return (:result R :error (SYMBOL MESSAGE)).  STREAMING uses
`llm-chat-streaming', else `llm-chat-async'.  TOOLS are the prompt's tools."
  (let ((llm-native-url-overrides nil))
    (llm-native-test-chat
     (llm-native-wire-test--provider kind (llm-native-test-scenario scenario))
     (llm-make-chat-prompt "Hi" :tools tools) streaming)))

(defmacro llm-native-wire-test--expect (outcome &rest want)
  "Check OUTCOME: WANT is (:text TEXT), (:result VALUE) or (:error SUBSTRING)."
  (declare (indent 1))
  `(let ((outcome ,outcome) (want (list ,@want)))
     (if (plist-member want :error)
         (progn
           (should-not (plist-get outcome :result))
           (should (eq (car (plist-get outcome :error)) 'llm-request-error))
           (should (string-search (plist-get want :error) (cadr (plist-get outcome :error)))))
       (should-not (plist-get outcome :error))
       (should (equal (plist-get outcome :result)
                      (or (plist-get want :text) (plist-get want :result)))))))

;;;; OpenAI Chat Completions

(defconst llm-native-wire-test--chat-text
  '((choices . [((index . 0) (delta . ((content . "Hi"))))])))
(defconst llm-native-wire-test--chat-stop
  '((choices . [((index . 0) (delta . ()) (finish_reason . "stop"))])))

(ert-deftest llm-native-wire-openai-chat ()
  "OpenAI Chat: finish_reason is enough; other framings; refusals; cut connections."
  (let ((text llm-native-wire-test--chat-text)
        (stop llm-native-wire-test--chat-stop))
    ;; A finish_reason without [DONE], the connection closed cleanly.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-chat (list :body (llm-native-wire-test--sse (list text stop))
                            :content_type "text/event-stream" :transfer "close")
         :streaming t)
      :text "Hi")
    ;; A partial event after the finish_reason loses nothing of the answer.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-chat (list :body (concat (llm-native-wire-test--sse (list text stop)) "data: {\"cho")
                            :content_type "text/event-stream" :transfer "close")
         :streaming t)
      :text "Hi")
    ;; A whole chat.completion to a streaming request.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-chat
         (list :body (llm-native-wire-test--json
                      '((choices . [((index . 0) (message . ((role . "assistant") (content . "Whole")))
                                     (finish_reason . "stop"))])))
               :content_type "application/json")
         :streaming t)
      :text "Whole")
    ;; A stream to a non-streaming request.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-chat (list :body (llm-native-wire-test--sse (list text stop "[DONE]"))
                            :content_type "text/event-stream"))
      :text "Hi")
    ;; Refusals, streamed and whole, and the content filter.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-chat
         (list :body (llm-native-wire-test--sse
                      (list '((choices . [((index . 0) (delta . ((refusal . "I cannot help."))))])) stop "[DONE]"))
               :content_type "text/event-stream")
         :streaming t)
      :error "I cannot help.")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-chat
         (list :body (llm-native-wire-test--json
                      '((choices . [((index . 0) (message . ((role . "assistant") (content . :null)
                                                             (refusal . "No, sorry.")))
                                     (finish_reason . "stop"))])))
               :content_type "application/json"))
      :error "No, sorry.")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-chat
         (list :body (llm-native-wire-test--sse
                      (list text '((choices . [((index . 0) (delta . ()) (finish_reason . "content_filter"))]))))
               :content_type "text/event-stream")
         :streaming t)
      :error "content_filter")
    ;; Cut in the middle: chunked without its end, and a clean close with no end sign.
    (let ((body (llm-native-wire-test--sse (list text text stop "[DONE]"))))
      (llm-native-wire-test--expect
          (llm-native-wire-test--chat
           'openai-chat (list :body body :content_type "text/event-stream" :close_after 90)
           :streaming t)
        :error "")
      (llm-native-wire-test--expect
          (llm-native-wire-test--chat
           'openai-chat (list :body (llm-native-wire-test--sse (list text text))
                              :content_type "text/event-stream" :transfer "close")
           :streaming t)
        :error "[DONE]"))))

;;;; OpenAI Responses

(defun llm-native-wire-test--responses-event (type &rest fields)
  "A Responses SSE event (NAME . OBJECT) of TYPE with FIELDS (an alist)."
  (cons type (cons (cons 'type type) (car fields))))

(ert-deftest llm-native-wire-openai-responses ()
  "OpenAI Responses: terminal events; other framings; refusals; cut connections."
  (let ((delta (llm-native-wire-test--responses-event "response.output_text.delta" '((delta . "Hi"))))
        (completed (llm-native-wire-test--responses-event
                    "response.completed" '((response . ((status . "completed")))))))
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-responses (list :body (llm-native-wire-test--sse (list delta completed))
                                 :content_type "text/event-stream" :transfer "close")
         :streaming t)
      :text "Hi")
    ;; A whole response object to a streaming request; a stream to a non-streaming one.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-responses
         (list :body (llm-native-wire-test--json
                      '((status . "completed")
                        (output . [((type . "message")
                                    (content . [((type . "output_text") (text . "Whole"))]))])))
               :content_type "application/json")
         :streaming t)
      :text "Whole")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-responses (list :body (llm-native-wire-test--sse (list delta completed))
                                 :content_type "text/event-stream"))
      :text "Hi")
    ;; Refusal.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-responses
         (list :body (llm-native-wire-test--sse
                      (list (llm-native-wire-test--responses-event
                             "response.refusal.done" '((refusal . "I will not do that.")))
                            completed))
               :content_type "text/event-stream")
         :streaming t)
      :error "I will not do that.")
    ;; No terminal event: a clean close and a cut are both errors.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-responses (list :body (llm-native-wire-test--sse (list delta delta))
                                 :content_type "text/event-stream" :transfer "close")
         :streaming t)
      :error "terminal")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'openai-responses (list :body (llm-native-wire-test--sse (list delta delta completed))
                                 :content_type "text/event-stream" :close_after 100)
         :streaming t)
      :error "")))

;;;; Anthropic

(defun llm-native-wire-test--anthropic-events (&rest tail)
  "Anthropic SSE events of a text answer \"Hi\", followed by TAIL."
  (append
   (list (cons "message_start" '((type . "message_start")
                                 (message . ((role . "assistant") (content . [])
                                             (usage . ((input_tokens . 3) (output_tokens . 1)))))))
         (cons "content_block_start" '((type . "content_block_start") (index . 0)
                                       (content_block . ((type . "text") (text . "")))))
         (cons "content_block_delta" '((type . "content_block_delta") (index . 0)
                                       (delta . ((type . "text_delta") (text . "Hi")))))
         (cons "content_block_stop" '((type . "content_block_stop") (index . 0))))
   tail))

(defun llm-native-wire-test--anthropic-stop (reason)
  "A message_delta event with stop_reason REASON."
  (cons "message_delta" `((type . "message_delta") (delta . ((stop_reason . ,reason)))
                          (usage . ((output_tokens . 2))))))

(ert-deftest llm-native-wire-anthropic ()
  "Anthropic: a stop_reason is enough; other framings; refusals; cut connections."
  (llm-native-wire-test--expect
      (llm-native-wire-test--chat
       'anthropic (list :body (llm-native-wire-test--sse
                               (llm-native-wire-test--anthropic-events
                                (llm-native-wire-test--anthropic-stop "end_turn")))
                        :content_type "text/event-stream" :transfer "close")
       :streaming t)
    :text "Hi")
  (llm-native-wire-test--expect
      (llm-native-wire-test--chat
       'anthropic
       (list :body (llm-native-wire-test--json
                    '((type . "message") (role . "assistant")
                      (content . [((type . "text") (text . "Whole"))]) (stop_reason . "end_turn")))
             :content_type "application/json")
       :streaming t)
    :text "Whole")
  (llm-native-wire-test--expect
      (llm-native-wire-test--chat
       'anthropic (list :body (llm-native-wire-test--sse
                               (llm-native-wire-test--anthropic-events
                                (llm-native-wire-test--anthropic-stop "end_turn")
                                (cons "message_stop" '((type . "message_stop")))))
                        :content_type "text/event-stream"))
    :text "Hi")
  (llm-native-wire-test--expect
      (llm-native-wire-test--chat
       'anthropic (list :body (llm-native-wire-test--sse
                               (llm-native-wire-test--anthropic-events
                                (llm-native-wire-test--anthropic-stop "refusal")
                                (cons "message_stop" '((type . "message_stop")))))
                        :content_type "text/event-stream")
       :streaming t)
    :error "refusal")
  (llm-native-wire-test--expect
      (llm-native-wire-test--chat
       'anthropic (list :body (llm-native-wire-test--sse (llm-native-wire-test--anthropic-events))
                        :content_type "text/event-stream" :transfer "close")
       :streaming t)
    :error "message_stop")
  (llm-native-wire-test--expect
      (llm-native-wire-test--chat
       'anthropic (list :body (llm-native-wire-test--sse
                               (llm-native-wire-test--anthropic-events
                                (llm-native-wire-test--anthropic-stop "end_turn")))
                        :content_type "text/event-stream" :close_after 200)
       :streaming t)
    :error ""))

;;;; Several reasoning items or thinking blocks in one answer

(defun llm-native-wire-test--second-turn (kind first-body content-type)
  "Answer a first turn of KIND with FIRST-BODY of CONTENT-TYPE, then ask again.
Return the second request's body, parsed."
  (let* ((llm-native-url-overrides nil)
         (base (llm-native-test-scenario (list :body first-body :content_type content-type)))
         (provider (llm-native-wire-test--provider kind base))
         (prompt (llm-make-chat-prompt "Q1"))
         (done nil))
    (llm-chat-streaming provider prompt #'ignore (lambda (_) (setq done t))
                        (lambda (_ m) (setq done (list 'error m))))
    (llm-native-test-wait-until (lambda () done) 20)
    (should (eq done t))
    (llm-chat-prompt-append-response prompt "Q2")
    (setq done nil)
    (llm-chat-streaming provider prompt #'ignore (lambda (_) (setq done t)) (lambda (_ _m) (setq done t)))
    (llm-native-test-wait-until (lambda () done) 20)
    (json-parse-string (alist-get 'body (car (last (llm-native-test-requests base))))
                       :object-type 'alist :array-type 'list)))

(ert-deftest llm-native-wire-claude-thinking-blocks-next-turn ()
  "Every thinking block of a Claude answer goes back with the next request, in order."
  (let* ((events
          (append
           (list (cons "message_start" '((type . "message_start") (message . ((content . [])))))
                 (cons "content_block_start" '((type . "content_block_start") (index . 0)
                                               (content_block . ((type . "thinking") (thinking . "")))))
                 (cons "content_block_delta" '((type . "content_block_delta") (index . 0)
                                               (delta . ((type . "thinking_delta") (thinking . "one")))))
                 (cons "content_block_delta" '((type . "content_block_delta") (index . 0)
                                               (delta . ((type . "signature_delta") (signature . "S1")))))
                 (cons "content_block_stop" '((type . "content_block_stop") (index . 0)))
                 (cons "content_block_start" '((type . "content_block_start") (index . 1)
                                               (content_block . ((type . "redacted_thinking") (data . "R")))))
                 (cons "content_block_stop" '((type . "content_block_stop") (index . 1)))
                 (cons "content_block_start" '((type . "content_block_start") (index . 2)
                                               (content_block . ((type . "thinking") (thinking . "")))))
                 (cons "content_block_delta" '((type . "content_block_delta") (index . 2)
                                               (delta . ((type . "thinking_delta") (thinking . "two")))))
                 (cons "content_block_delta" '((type . "content_block_delta") (index . 2)
                                               (delta . ((type . "signature_delta") (signature . "S2")))))
                 (cons "content_block_stop" '((type . "content_block_stop") (index . 2)))
                 (cons "content_block_start" '((type . "content_block_start") (index . 3)
                                               (content_block . ((type . "text") (text . "")))))
                 (cons "content_block_delta" '((type . "content_block_delta") (index . 3)
                                               (delta . ((type . "text_delta") (text . "A1")))))
                 (cons "content_block_stop" '((type . "content_block_stop") (index . 3))))
           (list (llm-native-wire-test--anthropic-stop "end_turn")
                 (cons "message_stop" '((type . "message_stop"))))))
         (body (llm-native-wire-test--second-turn
                'anthropic (llm-native-wire-test--sse events) "text/event-stream"))
         (assistant (nth 1 (alist-get 'messages body))))
    (should (equal (alist-get 'role assistant) "assistant"))
    (should (equal (alist-get 'content assistant)
                   '(((type . "thinking") (thinking . "one") (signature . "S1"))
                     ((type . "redacted_thinking") (data . "R"))
                     ((type . "thinking") (thinking . "two") (signature . "S2"))
                     ((type . "text") (text . "A1")))))))

(ert-deftest llm-native-wire-responses-reasoning-items-next-turn ()
  "Every reasoning item of a Responses answer goes back with the next request, in order."
  (let* ((events
          (list (llm-native-wire-test--responses-event
                 "response.output_item.done"
                 '((item . ((type . "reasoning") (id . "rs_1") (encrypted_content . "E1") (summary . [])))))
                (llm-native-wire-test--responses-event
                 "response.output_item.done"
                 '((item . ((type . "reasoning") (id . "rs_2") (encrypted_content . "E2") (summary . [])))))
                (llm-native-wire-test--responses-event "response.output_text.delta" '((delta . "A1")))
                (llm-native-wire-test--responses-event
                 "response.completed" '((response . ((status . "completed")))))))
         (body (llm-native-wire-test--second-turn
                'openai-responses (llm-native-wire-test--sse events) "text/event-stream"))
         (reasoning (cl-remove-if-not (lambda (item) (equal (alist-get 'type item) "reasoning"))
                                      (alist-get 'input body))))
    (should (equal reasoning
                   '(((type . "reasoning") (id . "rs_1") (encrypted_content . "E1") (summary))
                     ((type . "reasoning") (id . "rs_2") (encrypted_content . "E2") (summary)))))))

;;;; Gemini

(defconst llm-native-wire-test--gemini-text
  '((candidates . [((content . ((role . "model") (parts . [((text . "Hi"))]))))])))
(defconst llm-native-wire-test--gemini-more
  '((candidates . [((content . ((role . "model") (parts . [((text . " there"))]))))])))

(ert-deftest llm-native-wire-gemini ()
  "Gemini: a whole document or a closed array is complete; blocked prompts; cuts."
  (let ((text llm-native-wire-test--gemini-text)
        (more llm-native-wire-test--gemini-more))
    ;; generateContent's complete JSON document without finishReason.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'gemini (list :body (llm-native-wire-test--json text) :content_type "application/json"))
      :text "Hi")
    ;; The same document to streamGenerateContent, and a closed array without finishReason.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'gemini (list :body (llm-native-wire-test--json text) :content_type "application/json")
         :streaming t)
      :text "Hi")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'gemini (list :body (llm-native-wire-test--json (vector text more))
                       :content_type "application/json" :transfer "close")
         :streaming t)
      :text "Hi there")
    ;; An alt=sse stream to a non-streaming request, ended by its finishReason.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'gemini (list :body (llm-native-wire-test--sse
                              (list text '((candidates . [((content . ((parts . [((text . "!"))])))
                                                           (finishReason . "STOP"))])))
                              t)
                       :content_type "text/event-stream"))
      :text "Hi!")
    ;; A blocked prompt names the reason.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'gemini (list :body (llm-native-wire-test--json
                              [((promptFeedback . ((blockReason . "PROHIBITED_CONTENT"))))])
                       :content_type "application/json")
         :streaming t)
      :error "PROHIBITED_CONTENT")
    ;; An unclosed array, or an SSE stream, that stops without finishReason; a cut.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'gemini (list :body (concat "[" (llm-native-wire-test--json text) ",\r\n"
                                     (llm-native-wire-test--json more))
                       :content_type "application/json" :transfer "close")
         :streaming t)
      :error "")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'gemini (list :body (llm-native-wire-test--sse (list text more) t)
                       :content_type "text/event-stream" :transfer "close")
         :streaming t)
      :error "finishReason")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'gemini (list :body (llm-native-wire-test--json (vector text more))
                       :content_type "application/json" :close_after 60)
         :streaming t)
      :error "")))

(ert-deftest llm-native-wire-gemini-tool-call-without-finish-reason ()
  "A Gemini tool call answered as a whole document without finishReason runs the tool."
  (let* ((calls nil)
         (tool (llm-make-tool :name "get_time" :description "The time"
                              :function (lambda (tz) (push tz calls) "noon")
                              :args '((:name "tz" :type string :description "zone"))))
         (body (llm-native-wire-test--json
                '((candidates . [((content . ((role . "model")
                                              (parts . [((functionCall . ((name . "get_time")
                                                                          (args . ((tz . "UTC"))))))]))))])))))
    (dolist (streaming '(nil t))
      (setq calls nil)
      (llm-native-wire-test--expect
          (llm-native-wire-test--chat 'gemini (list :body body :content_type "application/json")
                                      :streaming streaming :tools (list tool))
        :result '(("get_time" . "noon")))
      (should (equal calls '("UTC"))))))

;;;; Ollama

(defconst llm-native-wire-test--ollama-line
  '((model . "m") (message . ((role . "assistant") (content . "Hi"))) (done . :false)))

(ert-deftest llm-native-wire-ollama ()
  "Ollama: done:true or a whole body is complete; a clean end without done is not."
  (let ((line llm-native-wire-test--ollama-line))
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'ollama (list :body (llm-native-wire-test--ndjson
                              (list line '((model . "m") (message . ((role . "assistant") (content . "!")))
                                           (done . t) (done_reason . "stop"))))
                       :content_type "application/x-ndjson" :transfer "close")
         :streaming t)
      :text "Hi!")
    ;; A whole body (without done) to a streaming request; a stream to a non-streaming one.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'ollama (list :body "{\n  \"model\": \"m\",\n  \"message\": {\"role\": \"assistant\", \"content\": \"Whole\"}\n}\n"
                       :content_type "application/json")
         :streaming t)
      :text "Whole")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'ollama (list :body (llm-native-wire-test--ndjson
                              (list line '((model . "m") (message . ((role . "assistant") (content . "")))
                                           (done . t))))
                       :content_type "application/x-ndjson"))
      :text "Hi")
    ;; Ended cleanly without done:true (issue 18.2), and cut inside a line.
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'ollama (list :body (llm-native-wire-test--ndjson (list line line))
                       :content_type "application/x-ndjson" :transfer "close")
         :streaming t)
      :error "done")
    (llm-native-wire-test--expect
        (llm-native-wire-test--chat
         'ollama (list :body (llm-native-wire-test--ndjson (list line line))
                       :content_type "application/x-ndjson" :close_after 100)
         :streaming t)
      :error "")))

(provide 'llm-native-wire-test)
;;; llm-native-wire-test.el ends here
