;;; llm-native.el --- Native streaming engine for the llm package  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 The llm-native authors
;; SPDX-License-Identifier: GPL-3.0-or-later
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: comm, tools
;; URL: https://example.invalid/llm-native

;;; Commentary:

;; llm-native runs the HTTP requests of the `llm' package (and of any
;; package that wants streamed HTTP) in a C++ dynamic module: libcurl on a
;; worker thread, stream framing and JSON decoding there, and callbacks
;; delivered on Emacs's main loop.
;;
;; (require 'llm-native) is enough: when the llm package is installed its
;; providers are served natively while `llm-native-mode' is on; when it is
;; not, llm-native provides its own implementation of the llm API under the
;; same names (the files in lisp/compat/).
;;
;; For plain streaming HTTP see `llm-native-request'.

;;; Code:

(defconst llm-native--lisp-directory
  (expand-file-name "lisp" (file-name-directory (or load-file-name buffer-file-name)))
  "Directory of llm-native's Lisp files.")

(add-to-list 'load-path llm-native--lisp-directory)
;; Without the llm package, llm-native's own implementation of its API stands in.
(unless (locate-library "llm")
  (add-to-list 'load-path (expand-file-name "compat" llm-native--lisp-directory) t))

(require 'llm-native-runtime)
(require 'llm-native-llm)
(autoload 'llm-native-list-requests "llm-native-monitor"
  "Show the requests running on the llm-native engine." t)

(llm-native-mode 1)

(provide 'llm-native)
;;; llm-native.el ends here
