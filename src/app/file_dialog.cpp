#include "file_dialog.h"

#include <cstdlib>
#include <filesystem>

#include "latent/errors.h"

#ifdef LATENT_HAVE_GTK
#include <gtk/gtk.h>
#endif

namespace studio {

#ifdef LATENT_HAVE_GTK

namespace {

bool gtk_ready() {
  static const bool ok = gtk_init_check(nullptr, nullptr);
  return ok;
}

// Lets GTK finish what it has queued (a closed dialog's window goes away).
void drain() {
  while (gtk_events_pending()) gtk_main_iteration_do(FALSE);
}

}  // namespace

bool file_dialogs_available() {
  // GTK starts on first use (it costs a little); a display is what it needs.
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (w && *w);
}

std::optional<std::string> run_file_dialog(const FileDialogRequest& r) {
  namespace fs = std::filesystem;
  if (!gtk_ready()) throw latent::Error("the file dialog could not start (GTK found no display); type the path instead");
  const GtkFileChooserAction action = r.kind == FileDialogKind::Save     ? GTK_FILE_CHOOSER_ACTION_SAVE
                                      : r.kind == FileDialogKind::Folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                                         : GTK_FILE_CHOOSER_ACTION_OPEN;
  GtkFileChooserNative* dialog = gtk_file_chooser_native_new(
      r.title.c_str(), nullptr, action, r.kind == FileDialogKind::Save ? "_Save" : "_Open", "_Cancel");
  GtkFileChooser* chooser = GTK_FILE_CHOOSER(dialog);
  if (r.kind == FileDialogKind::Save) gtk_file_chooser_set_do_overwrite_confirmation(chooser, TRUE);
  // Start where the field points: its folder, and (saving) its name.
  std::error_code ec;
  fs::path start = r.start.empty() ? fs::current_path(ec) : fs::absolute(r.start, ec);
  if (!ec) {
    if (fs::is_directory(start, ec) && r.kind != FileDialogKind::Save) {
      gtk_file_chooser_set_current_folder(chooser, start.c_str());
    } else {
      if (fs::is_directory(start.parent_path(), ec)) gtk_file_chooser_set_current_folder(chooser, start.parent_path().c_str());
      if (r.kind == FileDialogKind::Save && !start.filename().empty())
        gtk_file_chooser_set_current_name(chooser, start.filename().c_str());
      else if (fs::exists(start, ec))
        gtk_file_chooser_set_filename(chooser, start.c_str());
    }
  }
  for (const auto& [name, patterns] : r.filters) {
    GtkFileFilter* f = gtk_file_filter_new();
    gtk_file_filter_set_name(f, name.c_str());
    size_t from = 0;
    while (from <= patterns.size()) {
      const size_t semi = patterns.find(';', from);
      const std::string p = patterns.substr(from, semi == std::string::npos ? std::string::npos : semi - from);
      if (!p.empty()) gtk_file_filter_add_pattern(f, p.c_str());
      if (semi == std::string::npos) break;
      from = semi + 1;
    }
    gtk_file_chooser_add_filter(chooser, f);  // the chooser owns it
  }
  const gint response = gtk_native_dialog_run(GTK_NATIVE_DIALOG(dialog));
  std::optional<std::string> chosen;
  if (response == GTK_RESPONSE_ACCEPT) {
    if (gchar* name = gtk_file_chooser_get_filename(chooser)) {
      chosen = name;
      g_free(name);
    }
  }
  gtk_native_dialog_destroy(GTK_NATIVE_DIALOG(dialog));
  g_object_unref(dialog);
  drain();
  return chosen;
}

#else

bool file_dialogs_available() { return false; }

std::optional<std::string> run_file_dialog(const FileDialogRequest&) {
  throw latent::Error("this build has no file dialog (it was built without GTK 3); type the path instead");
}

#endif

}  // namespace studio
