;;; llm-prompt.el --- llm-native's prompt templates filled to a token budget -*- lexical-binding: t -*-

;; Copyright (C) 2026 The llm-native authors

;; This file is not part of GNU Emacs.

;;; Commentary:

;; llm-native's implementation of the `llm-prompt' part of the `llm' API:
;; named templates (`llm-defprompt', `llm-prompt-get') whose {{var}} and
;; {{var:TICKETS}} placeholders are filled by `llm-prompt-fill' and
;; `llm-prompt-fill-text'.  It is used only when the real `llm' package is
;; not installed.
;;
;; Scalar values are filled first.  Lists and generators are then drawn
;; from by a lottery weighted by each placeholder's tickets, adding items
;; while they fit the token budget.  Choice: an item that does not fit
;; ends its placeholder's filling, so an endless generator cannot loop
;; forever.

;;; Code:

(require 'cl-lib)
(require 'generator)
(require 'llm)

(defgroup llm-prompt nil
  "Prompt templates for llm."
  :group 'llm)

(defcustom llm-prompt-default-max-pct 50
  "Percentage of the provider's context a filled prompt may use."
  :type 'integer
  :group 'llm-prompt)

(defcustom llm-prompt-default-max-tokens nil
  "Upper bound on the tokens of a filled prompt, or nil for none."
  :type '(choice (const :tag "None" nil) integer)
  :group 'llm-prompt)

(defvar llm-prompt-prompts (make-hash-table)
  "The prompt templates, keyed by name symbol.")

(defmacro llm-defprompt (name text)
  "Define the prompt template NAME (a symbol) with TEXT."
  (declare (indent 1))
  `(puthash ',name ,text llm-prompt-prompts))

(defun llm-prompt-get (name)
  "Return the template text named NAME, or nil."
  (gethash name llm-prompt-prompts))

(defconst llm-prompt--placeholder-regex
  "{{\\([[:alnum:]_-]+\\)\\(?::\\([0-9]+\\)\\)?}}"
  "Regex of a placeholder: group 1 is the variable, group 2 the tickets.")

(defun llm-prompt--placeholders (text)
  "Return the placeholders of TEXT as a list of (VAR . TICKETS)."
  (let ((start 0) found)
    (while (string-match llm-prompt--placeholder-regex text start)
      (let ((var (intern (match-string 1 text))))
        (unless (assq var found)
          (push (cons var (if (match-string 2 text)
                              (string-to-number (match-string 2 text))
                            1))
                found)))
      (setq start (match-end 0)))
    (nreverse found)))

(defun llm-prompt--replace (text var replacement)
  "Return TEXT with every placeholder of VAR replaced by REPLACEMENT."
  (replace-regexp-in-string
   (format "{{%s\\(?::[0-9]+\\)?}}" (regexp-quote (symbol-name var)))
   replacement text t t))

(defun llm-prompt--source (value)
  "Return a function producing the items of VALUE one by one.
The function returns (ITEM) for each item and nil when exhausted.
VALUE is a list or a generator (a function returning an iterator)."
  (if (and (listp value) (not (functionp value)))
      (let ((rest value))
        (lambda () (when rest (list (pop rest)))))
    (let ((iterator (funcall value)))
      (lambda ()
        (condition-case nil
            (list (iter-next iterator))
          (iter-end-of-sequence nil))))))

(defun llm-prompt--multi-valued-p (value)
  "Return non-nil when VALUE is a list or generator to fill by lottery."
  (or (consp value)
      (and (symbolp value) value (fboundp value) (not (keywordp value)))
      (and (not (symbolp value)) (functionp value))))

(defun llm-prompt--budget (provider)
  "Return the token budget of a prompt filled for PROVIDER."
  (let ((share (/ (* llm-prompt-default-max-pct (llm-chat-token-limit provider)) 100.0)))
    (floor (if llm-prompt-default-max-tokens
               (min llm-prompt-default-max-tokens share)
             share))))

(defun llm-prompt-fill-text (text provider &rest keys)
  "Fill the template TEXT for PROVIDER with the values in KEYS.
KEYS is a plist mapping :VAR to a value: a scalar fills {{VAR}} as is,
a list or generator is drawn from until the token budget is reached.
Items may be (VALUE . front) or (VALUE . back) to choose their side."
  (let* ((placeholders (llm-prompt--placeholders text))
         (multi nil))
    (dolist (placeholder placeholders)
      (let* ((key (intern (format ":%s" (car placeholder))))
             (value (plist-get keys key)))
        (unless (plist-member keys key)
          (signal 'llm-invalid-argument
                  (list (format "No value for placeholder %s" (car placeholder)))))
        (if (llm-prompt--multi-valued-p value)
            (push (list (car placeholder) (cdr placeholder)
                        (llm-prompt--source value) nil nil)
                  multi)
          (setq text (llm-prompt--replace text (car placeholder)
                                          (format "%s" value))))))
    (let ((used (llm-count-tokens
                 provider (replace-regexp-in-string llm-prompt--placeholder-regex
                                                    "" text)))
          (budget (llm-prompt--budget provider))
          (active (nreverse multi))
          (finished nil))
      ;; Each entry is (VAR TICKETS SOURCE FRONT-ITEMS BACK-ITEMS).
      (while active
        (let* ((total (apply #'+ (mapcar #'cadr active)))
               (draw (random (max total 1)))
               (entry (cl-loop for candidate in active
                               if (< draw (cadr candidate)) return candidate
                               else do (setq draw (- draw (cadr candidate)))))
               (next (funcall (nth 2 entry))))
          (if (null next)
              (progn (setq active (delq entry active)) (push entry finished))
            (let* ((item (car next))
                   (side (if (and (consp item) (memq (cdr item) '(front back)))
                             (cdr item) 'back))
                   (item-text (format "%s" (if (and (consp item)
                                                    (memq (cdr item) '(front back)))
                                               (car item)
                                             item)))
                   (cost (llm-count-tokens provider item-text)))
              (if (> (+ used cost) budget)
                  (progn (setq active (delq entry active)) (push entry finished))
                (setq used (+ used cost))
                (if (eq side 'front)
                    (push item-text (nth 3 entry))
                  (push item-text (nth 4 entry))))))))
      (dolist (entry finished)
        (setq text (llm-prompt--replace
                    text (car entry)
                    (mapconcat #'identity (append (nth 3 entry)
                                                  (reverse (nth 4 entry)))
                               "\n"))))
      text)))

(defun llm-prompt-fill (name provider &rest keys)
  "Fill the template named NAME for PROVIDER with KEYS.
See `llm-prompt-fill-text'.  An unknown NAME signals
`llm-invalid-argument'."
  (let ((text (llm-prompt-get name)))
    (unless text
      (signal 'llm-invalid-argument (list (format "No prompt named %s" name))))
    (apply #'llm-prompt-fill-text text provider keys)))

(provide 'llm-prompt)
;;; llm-prompt.el ends here
