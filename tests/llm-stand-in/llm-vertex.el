;;; llm-vertex.el --- llm-native's Google Vertex AI provider types -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the Google part of the `llm' API: the
;; `llm-google' base type shared with Gemini, `llm-vertex' (struct,
;; constructor, gcloud token refresh, name, capabilities, token limits,
;; endpoints and headers) and the `llm-gemini-tool-use' struct.  It is used
;; only when the real `llm' package is not installed.
;;
;; Choice: `llm' advertises the misspelled `tool-uses' and
;; `streaming-tool-uses' for Vertex; this implementation advertises
;; `tool-use' and `streaming-tool-use', which llm-native serves.

;;; Code:

(require 'cl-lib)
(require 'llm)
(require 'llm-provider-utils)
(require 'llm-models)

(defgroup llm-vertex nil
  "The Google Vertex AI provider for llm."
  :group 'llm)

(defcustom llm-vertex-gcloud-binary "gcloud"
  "The gcloud program used to mint Vertex access tokens."
  :type 'string
  :group 'llm-vertex)

(defcustom llm-vertex-gcloud-region "us-central1"
  "The Google Cloud region of Vertex requests."
  :type 'string
  :group 'llm-vertex)

(defcustom llm-vertex-example-prelude "Examples of how you should respond follow."
  "The text that introduces the examples in a Gemini system instruction."
  :type 'string
  :group 'llm-vertex)

(defcustom llm-vertex-default-chat-model "gemini-2.5-pro"
  "The chat model of a Vertex provider made without :chat-model."
  :type 'string
  :group 'llm-vertex)

(defcustom llm-vertex-default-max-output-tokens 500
  "Kept for compatibility with `llm'; requests do not use it."
  :type 'integer
  :group 'llm-vertex)

(cl-defstruct (llm-google (:include llm-standard-full-provider))
  "Base type of the Google providers (Gemini and Vertex).")

(llm-provider-utils-defstruct (llm-gemini-tool-use
                               (:include llm-provider-utils-tool-use))
  "A Gemini tool call, with the THOUGHT-SIGNATURE to send back with it."
  thought-signature)

(llm-provider-utils-defstruct (llm-vertex (:include llm-google))
  "Vertex AI in Google Cloud PROJECT.
KEY and KEY-GENTIME hold the access token from gcloud and when it was
made; they are managed internally."
  project
  (chat-model llm-vertex-default-chat-model)
  embedding-model
  key
  key-gentime)

(defconst llm-vertex--token-lifetime 3600
  "Seconds after which a gcloud access token is refreshed.")

(cl-defmethod llm-provider-request-prelude ((provider llm-vertex))
  "Get a fresh access token for PROVIDER from gcloud when needed."
  (when (or (null (llm-vertex-key provider))
            (null (llm-vertex-key-gentime provider))
            (> (float-time (time-since (llm-vertex-key-gentime provider)))
               llm-vertex--token-lifetime))
    (let ((output (with-temp-buffer
                    (call-process llm-vertex-gcloud-binary nil t nil
                                  "auth" "print-access-token")
                    (string-trim (buffer-string)))))
      (when (or (string-empty-p output) (string-match-p "ERROR" output))
        (signal 'llm-provider-error
                (list (format "Could not get a Vertex access token from gcloud: %s"
                              output))))
      (setf (llm-vertex-key provider) output
            (llm-vertex-key-gentime provider) (current-time)))))

(cl-defmethod llm-provider-headers ((provider llm-vertex))
  "Return PROVIDER's Authorization header."
  (llm-provider-utils-bearer-headers (llm-vertex-key provider)))

(defun llm-vertex--url (provider model method)
  "Return the Vertex URL of METHOD on MODEL for PROVIDER."
  (format "https://%s-aiplatform.googleapis.com/v1/projects/%s/locations/%s/publishers/google/models/%s:%s"
          llm-vertex-gcloud-region (llm-vertex-project provider)
          llm-vertex-gcloud-region model method))

(cl-defmethod llm-provider-chat-url ((provider llm-vertex))
  "Return PROVIDER's chat endpoint."
  (llm-vertex--url provider (llm-vertex-chat-model provider) "generateContent"))

(cl-defmethod llm-provider-chat-streaming-url ((provider llm-vertex))
  "Return PROVIDER's streaming chat endpoint."
  (llm-vertex--url provider (llm-vertex-chat-model provider) "streamGenerateContent"))

(cl-defmethod llm-provider-embedding-url ((provider llm-vertex) &optional _batch)
  "Return PROVIDER's embedding endpoint."
  (llm-vertex--url provider (or (llm-vertex-embedding-model provider)
                                "textembedding-gecko")
                   "predict"))

(cl-defmethod llm-name ((_ llm-vertex))
  "Return the name of a Vertex provider."
  "Vertex Gemini")

(cl-defmethod llm-capabilities ((provider llm-vertex))
  "Return the capabilities of PROVIDER and of its model."
  (llm-provider-utils-capability-union
   '(streaming embeddings json-response tool-use streaming-tool-use)
   (seq-intersection '(image-input audio-input video-input)
                     (llm-provider-utils-model-capabilities
                      (llm-vertex-chat-model provider)))))

(cl-defmethod llm-chat-token-limit ((provider llm-vertex))
  "Return the context length of PROVIDER's model."
  (llm-provider-utils-model-token-limit (llm-vertex-chat-model provider) 1048576))

(cl-defmethod llm-nonfree-message-info ((_ llm-google))
  "Return Google's generative AI terms."
  "https://policies.google.com/terms/generative-ai")

(provide 'llm-vertex)
;;; llm-vertex.el ends here
