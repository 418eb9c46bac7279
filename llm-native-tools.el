;;; llm-native-tools.el --- Tool schemas and tool execution for llm-native  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is part of llm-native.

;;; Commentary:

;; Two halves of `llm' tool use (doc/providers.md, Tool use) that do not depend on
;; any provider:
;;
;; - turning `llm-tool' argument specs into JSON Schema for the canonical
;;   prompt (doc/PROMPT.md), and Lisp values into values that
;;   `json-serialize' accepts;
;; - running the tool calls a model asked for: look-up by name, argument
;;   binding in spec order, sync and async tools, the llm error symbols, and
;;   results collected in reverse completion order.

;;; Code:

(require 'cl-lib)
(require 'llm-native-runtime)
;; llm-native-llm.el loads llm before this file; it compiles with or without llm.
(eval-when-compile
  (unless (require 'llm-provider-utils nil t)
    (setq byte-compile-warnings '(not unresolved))))

(defun llm-native--json-key (key)
  "Return KEY (a keyword, symbol or string) as a symbol usable as a JSON key."
  (cond ((keywordp key) (intern (substring (symbol-name key) 1)))
        ((symbolp key) key)
        ((stringp key) (intern key))
        (t (intern (format "%s" key)))))

(defun llm-native--plist-p (value)
  "Return non-nil when VALUE is a non-empty plist with keyword keys."
  (and (consp value) (keywordp (car value)) (cl-evenp (safe-length value))))

(defun llm-native--alist-p (value)
  "Return non-nil when VALUE is a non-empty alist with symbol or string keys."
  (and (consp value)
       (cl-every (lambda (cell)
                   (and (consp cell)
                        (or (stringp (car cell))
                            (and (symbolp (car cell)) (car cell)))))
                 value)))

(defun llm-native--jsonable (value)
  "Return VALUE converted to something `json-serialize' accepts.
Plists and alists become objects (alists with symbol keys), other
lists and vectors become vectors, nil becomes null, `:json-false'
and `:false' become false, other symbols their names."
  (cond ((or (stringp value) (numberp value)) value)
        ((eq value t) t)
        ((null value) :null)
        ((memq value '(:json-false :false)) :false)
        ((eq value :null) :null)
        ((hash-table-p value) value)
        ((llm-native--plist-p value)
         (let (object)
           (while value
             (push (cons (llm-native--json-key (car value))
                         (llm-native--jsonable (cadr value)))
                   object)
             (setq value (cddr value)))
           (or (nreverse object) (make-hash-table))))
        ((llm-native--alist-p value)
         (mapcar (lambda (cell)
                   (cons (llm-native--json-key (car cell))
                         (llm-native--jsonable (cdr cell))))
                 value))
        ((consp value) (vconcat (mapcar #'llm-native--jsonable value)))
        ((vectorp value) (vconcat (mapcar #'llm-native--jsonable value)))
        ((symbolp value) (symbol-name value))
        (t (format "%s" value))))

(defun llm-native--json-object (value)
  "Return VALUE as a JSON object for `json-serialize': an empty one when nil."
  (if (null value) (make-hash-table) (llm-native--jsonable value)))

(defun llm-native--tool-schema (tool)
  "Return the canonical-prompt entry (an alist) for the `llm-tool' TOOL.
Its parameters are llm's own JSON Schema of the arguments
\(`llm-provider-utils-openai-arguments'); no arguments is an empty object
of properties."
  (let ((parameters (llm-native--jsonable
                     (llm-provider-utils-openai-arguments (llm-tool-args tool)))))
    (when (eq (alist-get 'properties parameters) :null)
      (setf (alist-get 'properties parameters) (make-hash-table)))
    (list (cons 'name (llm-tool-name tool))
          (cons 'description (or (llm-tool-description tool) ""))
          (cons 'parameters parameters))))

(defun llm-native--tool-choice (tool-options)
  "Return the canonical tool_choice for the `llm-tool-options' TOOL-OPTIONS.
Signal `llm-not-supported' for a choice llm does not define."
  (let ((choice (llm-tool-options-tool-choice tool-options)))
    (cond ((memq choice '(auto none any)) (symbol-name choice))
          ((stringp choice) (list (cons 'name choice)))
          (t (signal 'llm-not-supported
                     (list (format "Unknown tool choice %S" choice)))))))

(defun llm-native--tool-result-text (result)
  "Return the tool RESULT as the string sent back to the model."
  (cond ((stringp result) result)
        ((memq result '(nil :json-false :false)) "false")
        ((eq result t) "true")
        ((numberp result) (number-to-string result))
        (t (condition-case nil
               (decode-coding-string
                (json-serialize (llm-native--jsonable result)) 'utf-8)
             (error (format "%S" result))))))

;;; Execution

(defun llm-native--bind-tool-args (tool args)
  "Return the positional argument list for TOOL from the model's ARGS alist.
Signal `llm-tool-unknown-argument' or `llm-tool-missing-argument'
with a message string as data, as llm does."
  (let* ((spec (llm-tool-args tool))
         (names (mapcar (lambda (arg) (plist-get arg :name)) spec)))
    (dolist (cell args)
      (let ((name (format "%s" (car cell))))
        (unless (member name names)
          (signal 'llm-tool-unknown-argument
                  (format "Unknown argument '%s' for tool '%s'"
                          name (llm-tool-name tool))))))
    (mapcar (lambda (arg)
              (let* ((name (plist-get arg :name))
                     (cell (or (assq (intern name) args) (assoc name args))))
                (when (and (null cell) (not (plist-get arg :optional)))
                  (signal 'llm-tool-missing-argument
                          (format "Missing required argument '%s' for tool '%s'"
                                  name (llm-tool-name tool))))
                (if (memq (cdr cell) '(:json-false :false)) nil (cdr cell))))
            spec)))

(defun llm-native--run-tools (tools tool-uses buffer on-success on-error)
  "Run the TOOL-USES (`llm-provider-utils-tool-use' structs) with TOOLS.
Tools run with BUFFER current (or a temporary buffer if it was killed).
When every call has returned, call ON-SUCCESS with the list of
`llm-chat-prompt-tool-result' structs in call order and the alist
\((NAME . RESULT) ...) in reverse completion order.  On the first
failure call ON-ERROR with an error symbol and a message instead; neither
callback runs more than once in total."
  (let* ((count (length tool-uses))
         (results (make-vector count nil))
         (completed nil)
         (remaining count)
         (finished nil))
    (cl-labels
        ((fail (symbol message)
           (unless finished
             (setq finished t)
             (funcall on-error symbol message)))
         (deliver (index use result)
           (unless (or finished (aref results index))
             (let ((value (if (memq result '(nil :json-false)) :false result)))
               (aset results index
                     (make-llm-chat-prompt-tool-result
                      :call-id (llm-provider-utils-tool-use-id use)
                      :tool-name (llm-provider-utils-tool-use-name use)
                      :result value))
               (push (cons (llm-provider-utils-tool-use-name use) value) completed)
               (setq remaining (1- remaining))
               (when (zerop remaining)
                 (setq finished t)
                 (funcall on-success (append results nil) completed))))))
      (if (zerop count)
          (funcall on-success nil nil)
        (cl-loop
         for use in tool-uses
         for index from 0
         until finished
         do (let* ((name (llm-provider-utils-tool-use-name use))
                   (tool (cl-find name tools :key #'llm-tool-name :test #'equal)))
              (if (null tool)
                  (fail 'llm-tool-unknown-tool (format "Unknown tool '%s' called" name))
                (condition-case err
                    (let ((argv (llm-native--bind-tool-args
                                 tool (llm-provider-utils-tool-use-args use)))
                          (index index)
                          (use use))
                      (llm-native--in-buffer
                       buffer
                       (lambda ()
                         (if (llm-tool-async tool)
                             (apply (llm-tool-function tool)
                                    (lambda (result) (deliver index use result))
                                    argv)
                           (deliver index use (apply (llm-tool-function tool) argv))))))
                  ((llm-tool-unknown-argument llm-tool-missing-argument)
                   (fail (car err) (if (stringp (cdr err)) (cdr err)
                                     (error-message-string err))))
                  ;; A tool's own failure stays in llm's error tree.
                  (error (fail (if (memq 'llm-error (get (car err) 'error-conditions))
                                   (car err)
                                 'llm-tool-call-error)
                               (error-message-string err)))))))))))

(provide 'llm-native-tools)

;;; llm-native-tools.el ends here
