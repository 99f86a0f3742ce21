# Read after Dropbear's generated Makefile (make -f Makefile -f objs.mk):
# builds the server objects without linking a program and lists them, so
# dropbear.mk can prelink them into one object for egs.
egs-objs: $(MULTIOBJS) $(LIBTOM_DEPS)
	printf '%s\n' $(filter-out dbmulti.o,$(MULTIOBJS)) $(LIBTOM_LIBS) > egs-objs.list
