;;; llm-native.el --- Native streaming HTTP engine for Emacs and the llm package  -*- lexical-binding: t; -*-

;; Copyright (C) 2026 llm-native developers

;; Author: llm-native developers
;; Maintainer: llm-native developers
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1"))
;; Keywords: comm, tools
;; URL: https://github.com/llm-native/llm-native
;; SPDX-License-Identifier: GPL-3.0-or-later

;; This file is not part of GNU Emacs.

;; This program is free software: you can redistribute it and/or modify
;; it under the terms of the GNU General Public License as published by
;; the Free Software Foundation, either version 3 of the License, or
;; (at your option) any later version.

;; This program is distributed in the hope that it will be useful,
;; but WITHOUT ANY WARRANTY; without even the implied warranty of
;; MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
;; GNU General Public License for more details.

;; You should have received a copy of the GNU General Public License
;; along with this program.  If not, see <https://www.gnu.org/licenses/>.

;;; Commentary:

;; llm-native runs streamed HTTP requests in a C++ dynamic module: libcurl
;; on a worker thread, stream framing and JSON decoding there, and
;; callbacks delivered on Emacs's main loop.  The module is built from the
;; sources shipped with the package the first time it is needed
;; (`llm-native-module-compile').
;;
;; (require 'llm-native) is all a user writes.  It loads the engine and
;; `llm-native-request' (plain streamed HTTP for any package).  When the
;; `llm' package (GNU ELPA) is loaded, before or after llm-native, its
;; providers are served natively while `llm-native-mode' is on; llm-native
;; does not depend on llm and works without it.

;;; Code:

(require 'llm-native-runtime)

;;;###autoload
(autoload 'llm-native-request "llm-native-runtime"
  "Start a streamed HTTP request on the llm-native engine." nil)
;;;###autoload
(autoload 'llm-native-request-sync "llm-native-runtime"
  "Run an HTTP request on the llm-native engine and wait for its result." nil)
;;;###autoload
(autoload 'llm-native-module-compile "llm-native-loader"
  "Build the llm-native module with CMake." t)

(defvar llm-native--llm-attached nil
  "Non-nil once the llm integration is loaded.")

(defvar llm-native--llm-deferred nil
  "Non-nil while attaching waits for a load in progress to finish.")

(defun llm-native--attach-llm (&rest _)
  "Load llm-native's llm integration and turn `llm-native-mode' on.
Runs once `llm' is loaded.  When that happens in the middle of
loading one of llm's provider files, which the integration also
requires, attaching waits until that file is loaded."
  (when (and (featurep 'llm) (not llm-native--llm-attached))
    (condition-case err
        (progn
          (require 'llm-native-llm)
          (setq llm-native--llm-attached t)
          (remove-hook 'after-load-functions #'llm-native--attach-llm)
          (llm-native-mode 1))
      (error
       (if (string-match-p "\\`Recursive .require" (error-message-string err))
           (add-hook 'after-load-functions #'llm-native--attach-llm)
         (remove-hook 'after-load-functions #'llm-native--attach-llm)
         (display-warning 'llm-native
                          (format "The llm integration failed to load: %s"
                                  (error-message-string err))
                          :error))))))

(declare-function llm-native-mode "llm-native-llm" (&optional arg))

(with-eval-after-load 'llm (llm-native--attach-llm))

(provide 'llm-native)
;;; llm-native.el ends here
